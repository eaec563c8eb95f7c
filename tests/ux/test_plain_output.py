"""CLI tables stay readable in pipes and CI logs: full names, not names cut to fit 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli.cli_run import run_cli

from activation.config import load_syncs
from retention.core.settings import DBT_PROJECT_DIR


def test_syncs_table_keeps_full_names_in_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    done = run_cli("syncs", env={"RETENTION_DUCKDB_PATH": str(tmp_path / "none.duckdb")})
    assert done.returncode == 0, done.stderr
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    for sync in load_syncs(DBT_PROJECT_DIR):
        assert sync.name in rows, (sync.name, done.stdout[:2000])
        assert sync.target in rows[sync.name]
    assert "…" not in done.stdout
