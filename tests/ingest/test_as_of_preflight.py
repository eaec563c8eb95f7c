"""A --as-of beyond the day after the last order is refused before any dbt work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.dbt.preflight import FutureAsOfError, _require_orders
from retention.ingest import ingest_path

CORPUS = Path(__file__).with_name("corpus")
RETENTION = str(Path(sys.executable).parent / "retention")


@pytest.fixture
def loaded(db: Path) -> Path:
    """The utc_offsets corpus store: last order 2024-01-01 13:30 UTC."""
    ingest_path(CORPUS / "utc_offsets", db_path=db)
    return db


def test_build_refuses_a_future_as_of_with_one_line_and_exit_2(
    loaded: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(loaded),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "RETENTION_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }
    done = subprocess.run(
        [RETENTION, "build", "--as-of", "2024-01-03"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "2024-01-03" in lines[0] and "latest as-of date is 2024-01-02" in lines[0]
    assert not (tmp_path / "dagster_home").exists()  # refused before the Dagster run


def test_dbt_preflight_allows_the_day_after_the_last_order_only(loaded: Path) -> None:
    with duckdb.connect(str(loaded), read_only=True) as con:
        _require_orders(con, loaded, "2024-01-02")
        _require_orders(con, loaded, None)
        with pytest.raises(FutureAsOfError, match="last order is on 2024-01-01"):
            _require_orders(con, loaded, "2024-01-03")
