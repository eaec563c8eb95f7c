"""`retention run --raw` passes --date-format and --replace to the Dagster ingest step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from activation.destinations import DESTINATIONS
from orchestration.pipeline import FULL_PIPELINE_JOB, run_config

RETENTION = str(Path(sys.executable).parent / "retention")
CORPUS = Path(__file__).with_name("corpus")


def test_bad_date_format_is_refused_before_the_run(tmp_path: Path) -> None:
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    done = subprocess.run(
        [RETENTION, "run", "--raw", str(CORPUS / "utc_offsets"), "--date-format", "DDMM"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--date-format 'DDMM'" in lines[0], done.stderr


@pytest.mark.slow
def test_ingest_options_are_valid_dagster_run_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import defs

    # resources bound to env vars (warehouse path, destination keys) must resolve to validate
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    for name in DESTINATIONS:
        monkeypatch.setenv(f"{name.upper()}_API_KEY", "key")
        monkeypatch.setenv(f"{name.upper()}_BASE_URL", "http://127.0.0.1:9")

    job = defs.resolve_job_def(FULL_PIPELINE_JOB)
    config = run_config(
        job,
        as_of=None,
        target="duckdb",
        raw=CORPUS / "slash_dates_ambiguous",
        fmt="canonical",
        dry_run=True,
        ingest={"date_format": "DMY", "replace": True},
    )
    assert config["ops"]["ingest_raw"]["config"]["date_format"] == "DMY"
    assert dg.validate_run_config(job, config)["ops"]["ingest_raw"]["config"]["replace"] is True
