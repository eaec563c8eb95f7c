"""One real build for the audience tests: sample store -> ingest -> dbt -> ML scores -> audiences.

Session-scoped and shared by every test marked `xdist_group("audiences")`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dbt_command import dbt

from ml.churn_pipeline import build_churn_scores
from ml.clv_pipeline import build_clv_predictions
from retention.ingest import ingest_path
from retention.sample_store.generator import generate_store


@pytest.fixture(scope="session")
def audience_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with every audience built on a 2,000-customer sample store (seed 7)."""
    work = tmp_path_factory.mktemp("audiences")
    db_path = work / "retention.duckdb"
    generate_store(work / "store", customers=2000, seed=7)
    ingest_path(work / "store", "canonical", db_path)
    dbt(
        "build", db_path, work, "--exclude", "path:models/audiences",
        "--resource-type", "seed", "--resource-type", "model",
    )  # fmt: skip
    with duckdb.connect(str(db_path)) as con:
        build_clv_predictions(con)
        build_churn_scores(con, artifacts_dir=work / "artifacts")
    dbt("build", db_path, work, "--select", "+path:models/audiences")
    return db_path


@pytest.fixture
def con(audience_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only connection to the built warehouse."""
    connection = duckdb.connect(str(audience_db), read_only=True)
    try:
        yield connection
    finally:
        connection.close()
