"""Fixtures for the ML tests: a simulated store in a temp DuckDB and the CDNOW sample."""

from __future__ import annotations

import fcntl
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt_command import WAREHOUSE_NAME, dbt

from ml.features import CUTOFFS, FEATURES, LABELS
from ml.simulation import simulate_store

AS_OF = date(2025, 1, 1)


def build_churn_feature_models(db_path: Path, work_dir: Path) -> None:
    """`dbt run` only the churn cutoff, feature and label views on a store that has its marts."""
    dbt("run", db_path, work_dir, "--select", CUTOFFS, FEATURES, LABELS)


@pytest.fixture(scope="session")
def simulated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6,000-customer simulated store (marts + staging tables) with the dbt churn feature
    views on top, built once per session: the first xdist worker builds it under a file lock
    in the session's shared temp folder, the other reuses it (copy before writing)."""
    base = tmp_path_factory.getbasetemp()
    work = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ml_sim"
    work.mkdir(exist_ok=True)
    path = work / WAREHOUSE_NAME
    with (work / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / "built").exists():
            path.unlink(missing_ok=True)
            with duckdb.connect(str(path)) as con:
                simulate_store(con, customers=6000, seed=0.42, as_of=AS_OF)
            build_churn_feature_models(path, work)
            (work / "built").touch()
    return path


@pytest.fixture
def sim_con(simulated_db: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A private copy of the simulated store (tests may write ml.* tables or alter rows)."""
    copy = tmp_path / WAREHOUSE_NAME
    copy.write_bytes(simulated_db.read_bytes())
    con = duckdb.connect(str(copy))
    yield con
    con.close()


@pytest.fixture
def cdnow_con(shared_dir: Path) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the CDNOW sample as table `cdnow` (customer_id, purchase_date,
    amount)."""
    path = shared_dir / "data" / "cdnow" / "CDNOW_sample.txt"
    con = duckdb.connect()
    con.execute(
        f"""
        create table cdnow as
        with raw as (
            select string_split_regex(trim(line), '\\s+') as f
            from read_csv('{path}', delim = '|', header = false, columns = {{'line': 'VARCHAR'}})
        )
        select f[1] as customer_id, strptime(f[3], '%Y%m%d')::date as purchase_date,
               f[5]::double as amount
        from raw
        """
    )
    yield con
    con.close()
