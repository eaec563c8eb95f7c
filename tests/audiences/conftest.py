"""One real build for the audience tests: sample store -> ingest -> dbt -> ML scores -> audiences.

Session-scoped and shared by every test marked `xdist_group("audiences")`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ml.churn_pipeline import build_churn_scores
from ml.clv_pipeline import build_clv_predictions
from retention.ingest import ingest_path
from retention.sample_store.generator import generate_store

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = ROOT / "dbt_project"


def run_dbt(command: str, db_path: Path, work_dir: Path, *selection: str) -> None:
    """Run `dbt <command> <selection>` on db_path; fail the test with dbt's output on error."""
    dbt = Path(sys.executable).parent / "dbt"
    args = [
        str(dbt), command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        *selection,
    ]  # fmt: skip
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db_path)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def dbt_run():
    """`run_dbt` for test modules (a fixture: `from conftest import` finds another conftest)."""
    return run_dbt


@pytest.fixture(scope="session")
def audience_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with every audience built on a 2,000-customer sample store (seed 7)."""
    work = tmp_path_factory.mktemp("audiences")
    db_path = work / "retention.duckdb"
    generate_store(work / "store", customers=2000, seed=7)
    ingest_path(work / "store", "canonical", db_path)
    run_dbt(
        "build", db_path, work, "--exclude", "path:models/audiences",
        "--resource-type", "seed", "--resource-type", "model",
    )  # fmt: skip
    with duckdb.connect(str(db_path)) as con:
        build_clv_predictions(con)
        build_churn_scores(con, artifacts_dir=work / "artifacts")
    run_dbt("build", db_path, work, "--select", "+path:models/audiences")
    return db_path


@pytest.fixture
def con(audience_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only connection to the built warehouse."""
    connection = duckdb.connect(str(audience_db), read_only=True)
    try:
        yield connection
    finally:
        connection.close()
