"""Paths and environment shared by the CLI, Dagster definitions and tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# env `RETENTION_DBT_PROJECT_DIR` points the CLI and Dagster at another copy of the project.
DBT_PROJECT_DIR = Path(
    os.environ.get("RETENTION_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project")
).resolve()
DEFAULT_DUCKDB_PATH = Path("warehouse/retention.duckdb")


def duckdb_path() -> Path:
    """The warehouse file: env `RETENTION_DUCKDB_PATH`, default `warehouse/retention.duckdb`.

    Always absolute, so dbt (which runs from `dbt_project/`) and Python open the same file.
    """
    return Path(os.environ.get("RETENTION_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)).resolve()


def prepare_environment(db_path: Path | None = None) -> Path:
    """Export what dbt and dagster-dbt need and return the absolute warehouse path.

    Sets `RETENTION_DUCKDB_PATH` (absolute), turns off dbt's anonymous usage stats and puts
    this interpreter's `bin/` first on PATH so dagster-dbt finds the venv's `dbt`.
    dbt tests run only once all the models they read are selected (`DBT_INDIRECT_SELECTION`
    buildable): Dagster runs the dbt graph in several steps around the ML assets, and a test
    joining a seed to a mart must wait for the step that builds the mart.
    """
    path = (db_path or duckdb_path()).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ["RETENTION_DUCKDB_PATH"] = str(path)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return path


def drop_dir() -> Path:
    """The folder the ingest sensor watches: env `RETENTION_DROP_DIR`, default `data/drop`."""
    return Path(os.environ.get("RETENTION_DROP_DIR", "data/drop")).resolve()


def artifacts_dir() -> Path:
    """Where trained models are saved: env `RETENTION_ARTIFACTS_DIR`, default `artifacts`."""
    return Path(os.environ.get("RETENTION_ARTIFACTS_DIR", "artifacts")).resolve()


def report_path() -> Path:
    """The HTML report: env `RETENTION_REPORT_PATH`, default `reports/retention_report.html`."""
    return Path(os.environ.get("RETENTION_REPORT_PATH", "reports/retention_report.html")).resolve()
