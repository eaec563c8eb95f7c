"""Portable SQL pieces for ml/ queries that run on DuckDB and on Spark.

Dates and cutoffs are inlined as validated literals (no engine-specific parameters); the date
difference, which has no common spelling, is chosen by the warehouse's engine.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from retention.core.warehouse.base import Warehouse
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse

WarehouseSource = Warehouse | duckdb.DuckDBPyConnection


def as_warehouse(source: WarehouseSource) -> Warehouse:
    """`source` as a Warehouse: a DuckDB connection is wrapped, a Warehouse is returned as is."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        return DuckDBWarehouse(source)
    return source


def date_literal(value: date) -> str:
    """`date 'YYYY-MM-DD'` for a real date (never a string from outside)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a date, got {value!r}")
    return f"date '{value.isoformat()}'"


def timestamp_literal(value: date) -> str:
    """`timestamp 'YYYY-MM-DD 00:00:00'`: the start of day `value`."""
    return f"timestamp '{date_literal(value)[6:-1]} 00:00:00'"


def days_between(engine: str, start: str, end: str) -> str:
    """Whole days from date expression `start` to `end` (end - start)."""
    if engine == "spark":
        return f"datediff({end}, {start})"
    return f"date_diff('day', {start}, {end})"
