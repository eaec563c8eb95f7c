"""Checks run before dbt so a build with no usable data fails with one clear line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from orchestration.defs.warehouse_resource import WarehouseResource
from retention.core.errors import InputError, UserError


class NoDataError(UserError):
    """The warehouse has no orders to build from (at all, or before the as-of date)."""


class FutureAsOfError(InputError):
    """--as-of lies after the day after the last order: there is nothing to know about then."""


def refuse_future_as_of(con: duckdb.DuckDBPyConnection, as_of: str | None) -> None:
    """Raise `FutureAsOfError` when `as_of` is later than the day after the last raw order."""
    if as_of is None:
        return
    last = con.execute("select max(ordered_at) from raw.orders").fetchone()[0]
    if last is None:
        return
    latest = last.date() + dt.timedelta(days=1)
    if dt.date.fromisoformat(as_of) > latest:
        raise FutureAsOfError(
            f"--as-of {as_of} is after the data: the last order is on {last.date()}, so the "
            f"latest as-of date is {latest}; pick {latest} or earlier (or load newer orders)"
        )


def require_orders(warehouse: WarehouseResource, as_of: str | None) -> None:
    """Raise `NoDataError` unless raw.orders has at least one order before `as_of`."""
    db_path = warehouse.path
    if not db_path.exists():
        raise NoDataError(
            f"warehouse {db_path} does not exist: load data first with `retention ingest PATH` "
            "(or `retention run --raw PATH`)"
        )
    with warehouse.read() as con:
        _require_orders(con, db_path, as_of)


def _require_orders(con: duckdb.DuckDBPyConnection, db_path: Path, as_of: str | None) -> None:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'orders'"
    ).fetchone()[0]
    if not exists:
        raise NoDataError(
            f"warehouse {db_path} has no raw.orders table: load data first with "
            "`retention ingest PATH` (or `retention run --raw PATH`)"
        )
    first, total = con.execute("select min(ordered_at), count(*) from raw.orders").fetchone()
    if not total:
        raise NoDataError(
            f"raw.orders in {db_path} is empty: load orders with `retention ingest PATH`"
        )
    if as_of is not None and first.date() >= dt.date.fromisoformat(as_of):
        raise NoDataError(
            f"no orders before --as-of {as_of} (the first order is on {first.date()}); "
            "pick a later date"
        )
    refuse_future_as_of(con, as_of)
