"""Incremental builds give the same rows as a full refresh, after appended batches with late
updates (every table and view of staging, intermediate and marts compared); an as_of earlier
than the incremental tables' is refused with one line."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_command import WAREHOUSE_NAME, dbt

from retention.ingest import ingest_path
from retention.sample_store import generate_store

pytestmark = pytest.mark.xdist_group("warehouse_incremental")

END = date(2024, 6, 30)
# raw table -> the column that dates its rows (items follow their order)
GROWING = {
    "orders": "ordered_at",
    "events": "occurred_at",
    "shipment_events": "occurred_at",
    "feedback": "submitted_at",
}
NO_TESTS = ("resource_type:test", "resource_type:unit_test")
BUILD = ("--exclude", "path:models/audiences", *NO_TESTS)
# the incremental models and what they read
INCREMENTAL = (
    "--select", "+fct_order_items", "+stg_shop__events", "+stg_shop__feedback",
    "--exclude", *NO_TESTS,
)  # fmt: skip
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


def _append_until(con: duckdb.DuckDBPyConnection, cut: datetime, loaded_at: datetime) -> None:
    """Move the held-back rows dated before `cut` into raw, loaded at `loaded_at`."""
    for table, column in GROWING.items():
        con.execute(
            f"insert into raw.{table} select * replace (?::timestamp as _loaded_at)"
            f" from hold.{table} where {column} < ?",
            [loaded_at, cut],
        )
        con.execute(f"delete from hold.{table} where {column} < ?", [cut])
    con.execute(
        "insert into raw.order_items select * replace (?::timestamp as _loaded_at)"
        " from hold.order_items where order_id in (select order_id from raw.orders)",
        [loaded_at],
    )
    con.execute("delete from hold.order_items where order_id in (select order_id from raw.orders)")


def _late_updates(con: duckdb.DuckDBPyConnection, loaded_at: datetime, pick: int) -> None:
    """New versions of old rows, as a store re-exports them: an old order cancelled and its
    quantities corrected, a late shipment exception, events reported late, a consent withdrawn."""
    old = con.execute(
        "select order_id, ordered_at from raw.orders where status = 'delivered'"
        " order by ordered_at, order_id limit 1 offset ?",
        [pick],
    ).fetchone()
    con.execute(
        "insert into raw.orders select * replace ('cancelled' as status,"
        " ordered_at + interval 2 day as cancelled_at, 'late.csv' as _source_file,"
        " ?::timestamp as _loaded_at) from raw.orders where order_id = ?",
        [loaded_at, old[0]],
    )
    shipped = con.execute(
        "select order_id, max(occurred_at) from raw.shipment_events group by order_id"
        " order by 2, 1 limit 1 offset ?",
        [pick],
    ).fetchone()
    con.execute(
        "insert into raw.shipment_events (order_id, status, occurred_at, carrier,"
        " _source_file, _source_line, _loaded_at) values (?, 'exception', ?, 'late', 'late.csv',"
        " ?, ?)",
        [shipped[0], shipped[1] + timedelta(hours=1), pick, loaded_at],
    )
    con.execute(
        "insert into raw.order_items select * replace (quantity + 1 as quantity,"
        " 'late.csv' as _source_file, ?::timestamp as _loaded_at) from raw.order_items"
        " where order_id = ?",
        [loaded_at, old[0]],
    )
    con.execute(
        "insert into raw.events select * replace (occurred_at - interval 300 day as occurred_at,"
        " 'late.csv' as _source_file, ?::timestamp as _loaded_at)"
        " from raw.events order by occurred_at, customer_id, event_type limit 3 offset ?",
        [loaded_at, pick],
    )
    con.execute(
        "insert into raw.customers select * replace (false as email_consent, false as"
        " sms_consent, 'late.csv' as _source_file, ?::timestamp as _loaded_at)"
        " from raw.customers order by customer_id limit 1 offset ?",
        [loaded_at, pick],
    )


def _rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every table and view of the compared schemas: its rows, sorted, floats rounded."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ? order by all",
            [list(COMPARED_SCHEMAS)],
        ).fetchall()
        return {
            f"{schema}.{name}": sorted(
                (
                    tuple(round(v, 9) if isinstance(v, float) else v for v in row)
                    for row in con.execute(f'select * from {schema}."{name}"').fetchall()
                ),
                key=repr,
            )
            for schema, name in names
        }


@pytest.fixture(scope="module")
def raw_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100-customer sample store ingested, its growing tables held back in schema `hold`."""
    work = tmp_path_factory.mktemp("incremental")
    generate_store(work / "csv", customers=100, seed=11, end_date=END)
    db_path = work / WAREHOUSE_NAME
    ingest_path(work / "csv", db_path=db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute("create schema hold")
        for table in (*GROWING, "order_items"):
            con.execute(f"create table hold.{table} as select * from raw.{table}")
            con.execute(f"delete from raw.{table}")
    return db_path


def _append_batch(db_path: Path, number: int, cut: datetime) -> None:
    """Batch `number`: the held-back rows dated before `cut`, with late updates after the first,
    and in the third a re-exported file without one order's rows (the file replaced)."""
    # after the ingest's own load time, as later loads are
    loaded_at = datetime.now() + timedelta(hours=number + 1)
    with duckdb.connect(str(db_path)) as con:
        _append_until(con, cut, loaded_at)
        if number:
            _late_updates(con, loaded_at, pick=number)
        if number == 2:
            gone = "(select min(order_id) from raw.orders)"
            con.execute(f"delete from raw.order_items where order_id = {gone}")
            con.execute(f"delete from raw.orders where order_id = {gone}")


def test_incremental_batches_equal_full_refresh(
    raw_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = raw_store
    start = datetime(END.year, END.month, END.day) + timedelta(days=1)
    for number, cut in enumerate([start - timedelta(days=90), start - timedelta(days=30)]):
        _append_batch(db_path, number, cut)
        dbt("build", db_path, tmp_path, *INCREMENTAL)
    _append_batch(db_path, 2, start)
    full = tmp_path / "full" / WAREHOUSE_NAME
    full.parent.mkdir()
    shutil.copy(db_path, full)
    dbt("build", db_path, tmp_path, *BUILD)
    dbt("build", full, tmp_path, *BUILD, "--full-refresh")

    with duckdb.connect(str(db_path), read_only=True) as con:
        as_of = con.execute("select as_of_date from marts.as_of_date").fetchone()[0]
        built = con.execute("select model, as_of_date from dbt_state.incremental_state").fetchall()
        late = con.execute(
            "select count(*) from staging.stg_shop__orders"
            " where source_file = 'late.csv' and status = 'cancelled'"
        ).fetchone()[0]
    assert dict(built)["fct_orders"] == as_of and len(built) == 7
    assert late == 2  # both late cancellations reached staging incrementally
    incremental_rows, full_rows = _rows(db_path), _rows(full)
    assert set(incremental_rows) == set(full_rows)
    assert {"staging.stg_shop__orders", "marts.fct_order_items", "marts.dim_customers"} <= set(
        full_rows
    )
    assert [name for name in full_rows if incremental_rows[name] != full_rows[name]] == []

    # an as_of before the one the incremental tables were built at is refused in one line
    # (`retention build --as-of` passes --full-refresh: tests/orchestration/test_units.py)
    past = as_of - timedelta(days=60)
    monkeypatch.setenv("RETENTION_AS_OF_DATE", past.isoformat())
    refused = (
        f"stg_shop__orders was built as of {as_of} and as_of_date {past} is earlier: rebuild it"
        " from scratch with --full-refresh"
    )
    with pytest.raises(AssertionError, match=refused):
        dbt("build", db_path, tmp_path, "--select", "as_of_date", "stg_shop__orders")
