"""Build the dbt project with real dbt on small raw fixtures in temporary DuckDB files.

One session-scoped build per fixture; tests that read it share an xdist group.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from unittest import mock

import duckdb
import pytest
import warehouse_fixture_data as data
from dbt_command import WAREHOUSE_NAME, dbt

from retention.core.raw_contract import LINEAGE_COLUMNS, TABLES

ROOT = Path(__file__).resolve().parents[2]


def create_raw_tables(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> None:
    """Create raw.<name> exactly as the ingest contract defines it (plus lineage columns)."""
    con.execute("create schema if not exists raw")
    for name in names:
        columns = {**TABLES[name].columns, **LINEAGE_COLUMNS}
        ddl = ", ".join(f"{column} {type_}" for column, type_ in columns.items())
        con.execute(f"create table raw.{name} ({ddl})")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Insert rows into raw.<table> with lineage: file '<table>.csv', line = position + 2."""
    names = [*columns, "_source_file", "_source_line", "_loaded_at"]
    placeholders = ", ".join("?" for _ in names)
    con.executemany(
        f"insert into raw.{table} ({', '.join(names)}) values ({placeholders})",
        [(*row, f"{table}.csv", line + 2, "2024-07-02 00:00") for line, row in enumerate(rows)],
    )


def run_dbt(db_path: Path, work_dir: Path, command: str, as_of: str | None = None) -> None:
    """`dbt build` this area's nodes (not audiences) into db_path, as of `as_of` when given.

    command "build" runs everything incl. data and unit tests; "models" builds seeds and models
    only, for stores checked by pytest alone. The as-of date goes by env RETENTION_AS_OF_DATE,
    not --vars, so dbt reuses the saved parse (re-parsing only as_of_date.sql).
    """
    exclude = ["resource_type:test", "resource_type:unit_test"] if command == "models" else []
    env = {"RETENTION_AS_OF_DATE": as_of} if as_of else {}
    with mock.patch.dict(os.environ, env):
        dbt("build", db_path, work_dir, "--exclude", "path:models/audiences", *exclude)


def load_fixture_store(db_path: Path) -> None:
    """Write the hand-written store of warehouse_fixture_data into raw tables."""
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con, list(TABLES))
        customer_columns = [
            "customer_id", "email", "phone", "country", "birth_date", "signed_up_at",
            "email_consent", "sms_consent", "preferred_channel",
        ]  # fmt: skip
        insert_rows(con, "customers", customer_columns, data.CUSTOMERS)
        con.execute(
            "insert into raw.customers (customer_id, email, phone, country, birth_date,"
            " signed_up_at, email_consent, sms_consent, preferred_channel, _source_file,"
            " _source_line, _loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'old.csv', 2,"
            " '2024-01-01')",
            data.STALE_CUSTOMER,
        )
        order_columns = [
            "order_id", "customer_id", "ordered_at", "status", "total", "shipping_amount",
            "discount_amount", "discount_code", "delivered_at",
        ]  # fmt: skip
        insert_rows(con, "orders", order_columns, data.ORDERS)
        item_columns = ["order_id", "product_id", "size", "quantity", "unit_price", "list_price"]
        insert_rows(con, "order_items", item_columns, data.ORDER_ITEMS)
        insert_rows(
            con, "products", ["product_id", "name", "category", "list_price"], data.PRODUCTS
        )
        event_columns = ["customer_id", "event_type", "occurred_at", "channel"]
        insert_rows(con, "events", event_columns, data.EVENTS)
        feedback_columns = ["customer_id", "order_id", "submitted_at", "nps_score", "csat_score"]
        insert_rows(con, "feedback", feedback_columns, data.FEEDBACK)
        insert_rows(
            con, "shipment_events", ["order_id", "status", "occurred_at"], data.SHIPMENT_EVENTS
        )


def load_cdnow(db_path: Path, sample: Path) -> None:
    """CDNOW rows (customer, YYYYMMDD, CDs, dollars) as raw.orders only, like the cdnow adapter."""
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con, ["orders"])
        con.execute(
            """
            insert into raw.orders (order_id, customer_id, ordered_at, status, total,
                                    _source_file, _source_line, _loaded_at)
            select
                fields[1] || '-' || line::varchar,
                fields[1],
                strptime(fields[3], '%Y%m%d'),
                'delivered',
                fields[5]::decimal(18, 2),
                'CDNOW_sample.txt',
                line,
                now()
            from (
                select
                    string_split_regex(trim(text), '\\s+') as fields,
                    row_number() over () as line
                from read_csv(?, delim = '|', header = false, columns = {'text': 'VARCHAR'})
            )
            """,
            [str(sample)],
        )


def build_store(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    loader: Callable[[Path], None],
    command: str = "models",
    as_of: str | None = None,
) -> Path:
    """Load a raw store with `loader(db_path)` and `dbt build` it, once per test run.

    xdist workers share the run's temp root; a file lock makes the first worker build and the
    others reuse the result (xdist groups are honoured only with --dist loadgroup).
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    work_dir = root / f"warehouse_{name}"
    db_path = work_dir / WAREHOUSE_NAME
    with open(root / f"warehouse_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work_dir / "built").exists():
            shutil.rmtree(work_dir, ignore_errors=True)
            work_dir.mkdir()
            loader(db_path)
            run_dbt(db_path, work_dir, command, as_of)
            (work_dir / "built").touch()
    return db_path


@pytest.fixture(scope="session")
def fixture_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The hand-written store after `dbt build` (models, data and unit tests), default as_of."""
    db_path = build_store(tmp_path_factory, "fixture_store", load_fixture_store, "build")
    with duckdb.connect(str(db_path), read_only=True) as con:
        yield con


@pytest.fixture(scope="session")
def past_fixture_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The same store with seeds and models built as of 2024-04-01 (point in time)."""
    db_path = build_store(tmp_path_factory, "past_store", load_fixture_store, as_of="2024-04-01")
    with duckdb.connect(str(db_path), read_only=True) as con:
        yield con


def load_online_retail(db_path: Path) -> None:
    """Raw orders, order_items, products and customers as the online-retail-ii adapter loads."""
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con, ["orders", "order_items", "products", "customers"])
        insert_rows(
            con, "orders", ["order_id", "customer_id", "ordered_at", "status", "total"],
            data.RETAIL_ORDERS,
        )  # fmt: skip
        insert_rows(
            con,
            "order_items",
            ["order_id", "product_id", "quantity", "unit_price"],
            data.RETAIL_ITEMS,
        )
        products = sorted({(item[1], f"Item {item[1]}") for item in data.RETAIL_ITEMS})
        insert_rows(con, "products", ["product_id", "name"], products)
        insert_rows(con, "customers", ["customer_id", "country"], data.RETAIL_CUSTOMERS)


@pytest.fixture(scope="session")
def online_retail_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A small Online Retail II-shaped store with seeds and models built."""
    db_path = build_store(tmp_path_factory, "online_retail", load_online_retail)
    with duckdb.connect(str(db_path), read_only=True) as con:
        yield con


@pytest.fixture(scope="session")
def cdnow_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The CDNOW sample (only raw.orders) with seeds and models built; skipped without ../shared."""
    sample = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"
    if not sample.is_file():
        pytest.skip(f"{sample} is absent: the CDNOW sample is needed for this test")
    db_path = build_store(tmp_path_factory, "cdnow", lambda path: load_cdnow(path, sample))
    with duckdb.connect(str(db_path), read_only=True) as con:
        yield con
