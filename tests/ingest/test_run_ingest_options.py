"""`retention run --raw` passes --date-format and --replace to the Dagster ingest step."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
from cli.cli_run import assert_one_line_error, run_cli

from orchestration.pipeline import FULL_PIPELINE_JOB, run_config

CORPUS = Path(__file__).with_name("corpus")


def test_bad_date_format_is_refused_before_the_run(tmp_path: Path) -> None:
    env = {"RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    raw = str(CORPUS / "utc_offsets")
    done = run_cli("run", "--raw", raw, "--date-format", "DDMM", env=env, cwd=tmp_path, timeout=120)
    assert_one_line_error(done, 2, "--date-format 'DDMM'")


@pytest.mark.slow
def test_ingest_options_are_valid_dagster_run_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.definitions import defs

    # run config validates without any warehouse path or provider key in the environment
    # (resources read them when a run starts)
    for name in [n for n in os.environ if n.endswith(("_API_KEY", "_BASE_URL"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("RETENTION_DUCKDB_PATH", raising=False)

    # resolving the definitions reads Dagster's defs-state storage: give it a live instance
    # (an earlier test's sensor context may have left a dead one as the current storage)
    with dg.instance_for_test():
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
