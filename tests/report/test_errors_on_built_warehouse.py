"""User errors that need a built warehouse, on a copy of the session's pipeline run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli.cli_run import assert_one_line_error, run_cli


@pytest.mark.xdist_group("report")
def test_sync_without_api_key(pipeline, tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(pipeline.db_path, db)
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    assert "KLAVIYO_API_KEY" not in os.environ
    done = run_cli("sync", "vip_early_access_klaviyo", env={"RETENTION_DUCKDB_PATH": str(db)})
    assert_one_line_error(done, 1, "KLAVIYO_API_KEY", "vip_early_access_klaviyo")
