"""Incremental ingest: dated and part files append per file, re-drops load once, the drop
sensor hands off only new files, staging keeps the latest version of a row."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path, PurePosixPath

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.sensors import raw_drop_sensor
from orchestration.defs.warehouse_resource import WarehouseResource
from retention.core.errors import InputError
from retention.ingest import ingest_path
from retention.ingest.naming import table_of
from retention.ingest.options import IngestOptions
from tests.dbt_command import WAREHOUSE_NAME, dbt
from tests.ingest.conftest import assert_accounted, query, write

HEADER = "order_id,customer_id,ordered_at,status,total\n"


def _log_matches_tables(db: Path) -> None:
    """The current load_log rows add up to the raw tables and the quarantine, per table."""
    for table, loaded, quarantined in query(
        db,
        "SELECT table_name, sum(rows_loaded), sum(rows_quarantined) FROM raw.load_log "
        "WHERE superseded_at IS NULL GROUP BY 1",
    ):
        assert query(db, f"SELECT count(*) FROM raw.{table}") == [(loaded,)], table
        assert query(db, "SELECT count(*) FROM raw.quarantine WHERE table_name = ?", [table]) == [
            (quarantined,)
        ], table


def test_table_of_names_as_stores_name_them() -> None:
    names = {
        "orders.csv": "orders",
        "orders_2026-12-07.csv": "orders",
        "Orders-2026-12-07.CSV": "orders",
        "orders/part-0001.parquet": "orders",
        "exports/orders/2026/12/day.csv": "orders",
        "order_items_2026-12-07.csv": "order_items",
        "shipment_events.2026-12-07.parquet": "shipment_events",
        "events_0001.tsv": "events",
        "ordersx.csv": None,
        "order.csv": None,
        "orders.json": None,
        "orders/_SUCCESS": None,
        ".orders.csv": None,
        "notes.txt": None,
    }
    assert {name: table_of(PurePosixPath(name)) for name in names} == names


def test_same_file_twice_changed_file_and_new_dated_file(tmp_path: Path, db: Path) -> None:
    drop = tmp_path / "drop"
    day1 = write(
        drop / "orders_2026-12-06.csv",
        HEADER + "O1,C1,2026-12-06 10:00:00,placed,10\nO2,C2,2026-12-06 11:00:00,placed,20\n"
        "O9,C1,not-a-date,placed,5\n",
    )
    first = ingest_path(drop, db_path=db)
    assert_accounted(first, db)
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in first.files] == [(3, 2, 1)]
    assert [f.file_key for f in first.files] == ["orders_2026-12-06.csv"]

    again = ingest_path(drop, db_path=db)
    assert (again.files, again.unchanged_files) == ((), (str(day1),))
    assert query(db, "SELECT count(*) FROM raw.load_log") == [(1,)]
    assert query(db, "SELECT count(*) FROM raw.quarantine") == [(1,)]

    # the next day's file: O2 shipped (a new version), O3 new; only this file is read
    day2 = write(
        drop / "orders_2026-12-07.csv",
        HEADER + "O2,C2,2026-12-06 11:00:00,shipped,20\nO3,C3,2026-12-07 09:00:00,placed,30\n",
    )
    second = ingest_path(drop, db_path=db)
    assert_accounted(second, db)
    assert [f.source_file for f in second.files] == [str(day2)]
    assert second.unchanged_files == (str(day1),)
    assert query(db, "SELECT order_id, status FROM raw.orders ORDER BY 1, 2") == [
        ("O1", "placed"),
        ("O2", "placed"),
        ("O2", "shipped"),
        ("O3", "placed"),
    ]

    # day 1 re-exported with a fix: it replaces only its own rows (and its quarantine row)
    write(day1, HEADER + "O1,C1,2026-12-06 10:00:00,cancelled,10\nO9,C1,2026-12-06,placed,5\n")
    third = ingest_path(drop, db_path=db)
    assert_accounted(third, db)
    assert [(f.source_file, f.rows_loaded) for f in third.files] == [(str(day1), 2)]
    assert query(db, "SELECT order_id, status, _source_file FROM raw.orders ORDER BY 1, 2") == [
        ("O1", "cancelled", str(day1)),
        ("O2", "shipped", str(day2)),
        ("O3", "placed", str(day2)),
        ("O9", "placed", str(day1)),
    ]
    assert query(db, "SELECT count(*) FROM raw.quarantine") == [(0,)]
    assert query(
        db,
        "SELECT file_key, rows_loaded, rows_quarantined, superseded_at IS NOT NULL "
        "FROM raw.load_log ORDER BY loaded_at, file_key",
    ) == [
        ("orders_2026-12-06.csv", 2, 1, True),
        ("orders_2026-12-07.csv", 2, 0, False),
        ("orders_2026-12-06.csv", 2, 0, False),
    ]
    _log_matches_tables(db)


def test_parquet_part_files_in_a_table_folder(tmp_path: Path, db: Path) -> None:
    parts = tmp_path / "drop" / "orders"
    parts.mkdir(parents=True)
    with duckdb.connect() as con:
        for n, ids in enumerate(([1, 2, 2], [2, 3])):  # O2 twice in part 0: a duplicate
            con.execute(
                f"COPY (SELECT 'O' || i AS order_id, 'C1' AS customer_id, "
                f"TIMESTAMP '2026-12-01' + INTERVAL (i) HOUR AS ordered_at, "
                f"'placed' AS status, 5.0 AS total FROM unnest({ids}) t(i)) "
                f"TO '{parts / f'part-000{n}.parquet'}' (FORMAT parquet)"
            )
    write(parts / "_SUCCESS", "")
    report = ingest_path(tmp_path / "drop", db_path=db)
    assert_accounted(report, db)
    assert [(f.file_key, f.rows_loaded, f.rows_quarantined) for f in report.files] == [
        ("orders/part-0000.parquet", 2, 1),
        ("orders/part-0001.parquet", 2, 0),
    ]
    assert report.ignored_files == (str(parts / "_SUCCESS"),)
    # the same key in two parts is two versions; only a repeat within one file is quarantined
    assert query(db, "SELECT order_id, count(*) FROM raw.orders GROUP BY 1 ORDER BY 1") == [
        ("O1", 1),
        ("O2", 2),
        ("O3", 1),
    ]
    assert query(db, "SELECT reason FROM raw.quarantine") == [
        ("duplicate primary key (order_id=O2): first row kept at line 2 of " + str(parts)
         + "/part-0000.parquet",)
    ]  # fmt: skip
    # the same part ingested on its own, or via its table folder, has the same key: unchanged
    alone = ingest_path(parts / "part-0001.parquet", db_path=db)
    folder = ingest_path(parts, db_path=db)
    assert (alone.files, folder.files) == ((), ())
    assert len(folder.unchanged_files) == 2 and folder.ignored_files == report.ignored_files
    _log_matches_tables(db)


def test_unrecognised_names_are_reported_and_a_lone_one_refused(tmp_path: Path, db: Path) -> None:
    drop = tmp_path / "drop"
    write(drop / "orders.csv", HEADER + "O1,C1,2026-12-06,placed,1\n")
    write(drop / "Customers-2026-12-07.CSV", "customer_id\nC1\n")
    for name in ("order.csv", "notes.txt", "README.md", "old/ordersx.csv"):
        write(drop / name, "x\n")
    report = ingest_path(drop, db_path=db)
    assert_accounted(report, db)
    assert sorted((f.table_name, f.rows_loaded) for f in report.files) == [
        ("customers", 1),
        ("orders", 1),
    ]
    assert report.ignored_files == tuple(
        str(drop / n) for n in ("README.md", "notes.txt", "old/ordersx.csv", "order.csv")
    )
    with pytest.raises(InputError, match=r"notes\.txt: cannot tell which table"):
        ingest_path(drop / "notes.txt", db_path=db)


def test_replace_makes_the_drop_the_whole_table(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "a" / "orders_1.csv", HEADER + "O1,C1,2026-12-06,placed,1\n")
    write(tmp_path / "a" / "orders_2.csv", HEADER + "O2,C1,2026-12-06,placed,1\n")
    ingest_path(tmp_path / "a", db_path=db)
    write(tmp_path / "b" / "orders_3.csv", HEADER + "O3,C1,2026-12-07,placed,1\nO3,C1,x,y,z\n")
    appended = ingest_path(tmp_path / "b", db_path=db)
    assert appended.table_rows["orders"] == 3
    snapshot = ingest_path(tmp_path / "b", db_path=db, options=IngestOptions(replace=True))
    assert_accounted(snapshot, db)
    assert query(db, "SELECT order_id FROM raw.orders") == [("O3",)]
    assert query(db, "SELECT count(*) FROM raw.quarantine") == [(1,)]
    assert query(db, "SELECT file_key FROM raw.load_log WHERE superseded_at IS NULL") == [
        ("orders_3.csv",)
    ]
    _log_matches_tables(db)


def test_sensor_hands_off_only_new_or_changed_files(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = tmp_path / "drop"
    monkeypatch.setenv("RETENTION_DROP_DIR", str(drop))
    settled = time.time() - 60

    def land(name: str, text: str, at: float = settled) -> Path:
        path = write(drop / name, text)
        at_ns = int(at * 1e9)  # exact, so the legacy cursor below compares without rounding
        os.utime(path, ns=(at_ns, at_ns))
        return path

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        return raw_drop_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    def run(result: dg.SensorResult) -> list[str]:
        """Materialize the raw tables with the requested run config; the files loaded."""
        done = dg.materialize(
            [raw_tables],
            run_config=result.run_requests[0].run_config,
            resources={"warehouse": WarehouseResource(duckdb_path=str(db))},
            instance=instance,
        )
        (load_id,) = {
            m.metadata["load_id"].value for m in done.asset_materializations_for_node("ingest_raw")
        }
        return [
            key
            for (key,) in query(
                db, "SELECT file_key FROM raw.load_log WHERE load_id = ? ORDER BY 1", [load_id]
            )
        ]

    instance = dg.DagsterInstance.ephemeral()
    land("orders_2026-12-06.csv", HEADER + "O1,C1,2026-12-06,placed,1\n")
    land("customers.csv", "customer_id\nC1\n")
    first = tick(None)
    assert run(first) == ["customers.csv", "orders_2026-12-06.csv"]
    assert isinstance(tick(first.cursor), dg.SkipReason)

    land("orders/part-0001.csv", HEADER + "O2,C1,2026-12-07,placed,1\n")
    land("orders_2026-12-07.csv", HEADER + "O3,C1,2026-12-07,placed,1\n", time.time())
    second = tick(first.cursor)  # the file still being written waits for the next tick
    assert second.run_requests[0].run_config["ops"]["ingest_raw"]["config"]["files"] == [
        "orders/part-0001.csv"
    ]
    assert run(second) == ["orders/part-0001.csv"]

    land("orders_2026-12-07.csv", HEADER + "O3,C1,2026-12-07,placed,1\n")
    land("customers.csv", "customer_id\nC1\nC2\n", settled + 1)  # changed
    third = tick(second.cursor)
    assert run(third) == ["customers.csv", "orders_2026-12-07.csv"]
    assert isinstance(tick(third.cursor), dg.SkipReason)
    assert query(db, "SELECT order_id FROM raw.orders ORDER BY 1") == [("O1",), ("O2",), ("O3",)]
    _log_matches_tables(db)

    # a file deleted from the folder leaves the cursor
    (drop / "orders" / "part-0001.csv").unlink()
    land("orders_2026-12-08.csv", HEADER + "O4,C1,2026-12-08,placed,1\n")
    fourth = tick(third.cursor)
    assert sorted(json.loads(fourth.cursor)) == [
        "customers.csv",
        "orders_2026-12-06.csv",
        "orders_2026-12-07.csv",
        "orders_2026-12-08.csv",
    ]

    # a cursor of the older form (newest mtime handed off) counts older files as handed off
    legacy = tick(str(int(settled * 1e9)))
    assert legacy.run_requests[0].tags["retention/new_files"] == "customers.csv"


def test_staging_keeps_the_latest_version_of_each_row(tmp_path: Path) -> None:
    db = tmp_path / WAREHOUSE_NAME
    drop = tmp_path / "drop"
    write(drop / "customers.csv", "customer_id,email,email_consent\nC1,a@x.com,true\n")
    write(drop / "orders_2026-12-06.csv", HEADER + "O1,C1,2026-12-06,placed,10\n")
    write(drop / "orders_2026-12-07.csv", HEADER + "O1,C1,2026-12-06,shipped,10\n")
    ingest_path(drop, db_path=db)  # one load: the later file name wins
    write(drop / "customers_2026-12-08.csv", "customer_id,email,email_consent\nC1,a@x.com,no\n")
    write(drop / "orders_2026-12-08.csv", HEADER + "O1,C1,2026-12-06,delivered,10\n")
    ingest_path(drop, db_path=db)
    write(drop / "orders_2026-12-06.csv", HEADER + "O1,C1,2026-12-06,returned,10\n")
    ingest_path(drop, db_path=db)  # a re-sent file is the latest load: it wins
    assert query(db, "SELECT count(*) FROM raw.orders") == [(3,)]
    models = ("country_phone_codes", "as_of_date", "stg_shop__orders", "stg_shop__customers")
    dbt("build", db, tmp_path, "--select", *models, "--resource-type", "model", "seed")
    assert query(db, "SELECT order_id, status FROM staging.stg_shop__orders") == [
        ("O1", "returned")
    ]
    assert query(db, "SELECT customer_id, email_consent FROM staging.stg_shop__customers") == [
        ("C1", "not_subscribed")
    ]


def test_the_same_path_under_another_key_is_not_loaded_twice(tmp_path: Path, db: Path) -> None:
    orders = write(tmp_path / "drop" / "sub" / "orders_1.csv", HEADER + "O1,C1,2026-12-06,x,1\n")
    write(tmp_path / "drop" / "orders_2.csv", HEADER + "O2,C1,2026-12-06,placed,1\n")
    ingest_path(tmp_path / "drop", db_path=db)
    again = ingest_path(tmp_path / "drop" / "sub", db_path=db)  # key orders_1.csv, not sub/...
    assert_accounted(again, db)
    assert [(f.source_file, f.rows_quarantined) for f in again.files] == [(str(orders), 1)]
    assert query(db, "SELECT order_id FROM raw.orders") == [("O2",)]
    assert query(db, "SELECT count(*) FROM raw.quarantine") == [(1,)]
    _log_matches_tables(db)


def test_a_load_log_from_before_gets_keys_and_old_loads_superseded(
    tmp_path: Path, db: Path
) -> None:
    drop = tmp_path / "drop"
    orders = write(drop / "orders.csv", HEADER + "O1,C1,2026-12-06,placed,1\n")
    ingest_path(drop, db_path=db)
    with duckdb.connect(str(db)) as con:  # the log as snapshot loads left it: two loads
        con.execute("ALTER TABLE raw.load_log DROP file_key")
        con.execute("ALTER TABLE raw.load_log DROP file_hash")
        con.execute("ALTER TABLE raw.load_log DROP superseded_at")
        con.execute(
            "INSERT INTO raw.load_log SELECT 'old', source_file, table_name, format, 1, 1, 0, "
            "loaded_at - INTERVAL 1 DAY FROM raw.load_log"
        )
    write(orders, HEADER + "O1,C1,2026-12-06,shipped,1\n")  # changed: replaces its rows
    report = ingest_path(drop, db_path=db)
    assert_accounted(report, db)
    assert query(db, "SELECT order_id, status FROM raw.orders") == [("O1", "shipped")]
    assert query(
        db, "SELECT file_key, superseded_at IS NULL FROM raw.load_log ORDER BY loaded_at"
    ) == [("orders.csv", False), ("orders.csv", False), ("orders.csv", True)]
    _log_matches_tables(db)
