"""A --as-of beyond the day after the last order is refused before any dbt work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from cli.cli_run import assert_one_line_error, run_cli

from orchestration.defs.dbt.preflight import FutureAsOfError, _require_orders
from retention.ingest import ingest_path

CORPUS = Path(__file__).with_name("corpus")


@pytest.fixture
def loaded(db: Path) -> Path:
    """The utc_offsets corpus store: last order 2024-01-01 13:30 UTC."""
    ingest_path(CORPUS / "utc_offsets", db_path=db)
    return db


def test_build_refuses_a_future_as_of_with_one_line_and_exit_2(
    loaded: Path, tmp_path: Path
) -> None:
    env = {
        "RETENTION_DUCKDB_PATH": str(loaded),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "RETENTION_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }
    done = run_cli("build", "--as-of", "2024-01-03", env=env, cwd=tmp_path, timeout=120)
    assert_one_line_error(done, 2, "2024-01-03", "latest as-of date is 2024-01-02")
    assert not (tmp_path / "dagster_home").exists()  # refused before the Dagster run


def test_dbt_preflight_allows_the_day_after_the_last_order_only(loaded: Path) -> None:
    with duckdb.connect(str(loaded), read_only=True) as con:
        _require_orders(con, loaded, "2024-01-02")
        _require_orders(con, loaded, None)
        with pytest.raises(FutureAsOfError, match="last order is on 2024-01-01"):
            _require_orders(con, loaded, "2024-01-03")
