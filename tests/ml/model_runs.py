"""Helper for the tests of which model run the report shows."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from ml.outputs import record_run
from ml.sql import as_warehouse


def record_later_run(con: duckdb.DuckDBPyConnection, table: str, parameters: dict) -> None:
    """Record a run trained after every other, as a later build at another date would."""
    record_run(
        as_warehouse(con),
        table,
        run_id="later build",
        trained_at=datetime(2099, 1, 1),
        window=(date(2024, 1, 1), date(2024, 6, 1)),
        parameters=parameters,
        metrics={"status": "scored"},
    )
