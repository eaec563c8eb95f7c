"""Canonical-format ingest against a corpus of bad files: every row is accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from retention.core.errors import InputError
from retention.ingest import ingest_path
from retention.ingest.options import IngestOptions
from tests.ingest.conftest import assert_accounted, query, write

ORDERS_HEADER = "order_id,customer_id,ordered_at,status,total\n"


def _good_orders(n: int, start: int = 0) -> str:
    return "".join(
        f"O{i},C{i % 50},2024-03-{1 + i % 28:02d} 10:00:00,delivered,{i % 90}.50\n"
        for i in range(start, start + n)
    )


def _bad_orders(n: int) -> str:
    kinds = [
        "B{i},C1,not-a-date,delivered,5\n",
        "B{i},C1,2024-01-01,teleported,5\n",
        "B{i},C1,2024-01-01,placed,-3\n",
        "B{i},C1,2024-01-01,placed,abc\n",
        ",C1,2024-01-01,placed,5\n",
        "B{i},C1,2024-01-01\n",
        "B{i},C1,2024-01-01,placed,5,surplus\n",
        "O{i},C1,2024-01-01,placed,5\n",  # duplicates an earlier good order id
    ]
    return "".join(kinds[i % len(kinds)].format(i=i) for i in range(n))


def test_1000_good_100_bad_then_rerun_changes_nothing(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "store" / "orders.csv", ORDERS_HEADER + _good_orders(1000) + _bad_orders(100))
    first = ingest_path(tmp_path / "store", db_path=db)
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (1100, 1000, 100)
    assert_accounted(first, db)
    reasons = dict(
        query(db, "SELECT split_part(reason, ':', 1), count(*) FROM raw.quarantine GROUP BY 1")
    )
    assert reasons["unparseable date in ordered_at"] == 13
    assert reasons["value not in accepted set for status"] == 13
    assert reasons["negative value in total"] == 13
    assert reasons["type error in total"] == 13
    assert reasons["missing required value"] == 12
    assert reasons["malformed CSV line"] == 24
    assert sum(n for k, n in reasons.items() if k.startswith("duplicate primary key")) == 12
    snapshot = query(db, "SELECT * EXCLUDE (_loaded_at) FROM raw.orders ORDER BY order_id")
    quarantine = query(db, "SELECT * EXCLUDE (loaded_at) FROM raw.quarantine ORDER BY line_number")

    # the same file again is unchanged: skipped, reported, not logged or counted twice
    second = ingest_path(tmp_path / "store", db_path=db)
    assert (second.rows_loaded, second.rows_quarantined) == (0, 0)
    assert second.unchanged_files == (str(tmp_path / "store" / "orders.csv"),)
    assert query(db, "SELECT * EXCLUDE (_loaded_at) FROM raw.orders ORDER BY order_id") == snapshot
    assert (
        query(db, "SELECT * EXCLUDE (loaded_at) FROM raw.quarantine ORDER BY line_number")
        == quarantine
    )
    assert query(db, "SELECT count(DISTINCT load_id) FROM raw.load_log") == [(1,)]
    # as a snapshot (--replace) it loads again and supersedes the first load
    third = ingest_path(tmp_path / "store", db_path=db, options=IngestOptions(replace=True))
    assert (third.rows_loaded, third.rows_quarantined) == (1000, 100)
    assert query(db, "SELECT * EXCLUDE (_loaded_at) FROM raw.orders ORDER BY order_id") == snapshot
    assert query(
        db,
        "SELECT load_id = ?, superseded_at IS NULL FROM raw.load_log ORDER BY 1",
        [third.load_id],
    ) == [(False, False), (True, True)]


def test_line_numbers_and_raw_text_survive_quoted_newlines_blank_lines_and_bom(
    tmp_path: Path, db: Path
) -> None:
    text = (
        "\ufeff"
        + ORDERS_HEADER
        + "O1,C1,2024-01-02,placed,10\n"
        + "O3,C1,2024-01-02\n"
        + "\n"
        + 'O2,C1,2024-01-02,"deli\nvered",10\n'
        + "O4,C1,2024-01-02,placed,x\n"
        + "O5,C1,2024-01-02,placed,7\n"
    )
    write(tmp_path / "orders.csv", text)
    report = ingest_path(tmp_path / "orders.csv", db_path=db)
    assert_accounted(report, db)
    rows = query(db, "SELECT line_number, raw_text FROM raw.quarantine ORDER BY 1")
    # Line numbers count CSV records (header = 1); the quoted newline stays inside its record.
    assert rows == [
        (3, "O3,C1,2024-01-02"),
        (5, 'O2,C1,2024-01-02,"deli\nvered",10'),
        (6, "O4,C1,2024-01-02,placed,x"),
    ]
    assert query(db, "SELECT order_id, _source_line FROM raw.orders ORDER BY 1") == [
        ("O1", 2),
        ("O5", 7),
    ]


def test_mixed_date_formats_and_consent_booleans(tmp_path: Path, db: Path) -> None:
    write(
        tmp_path / "s" / "orders.csv",
        ORDERS_HEADER
        + "O1,C1,2024-02-03,placed,1\nO2,C2,2024-02-03 04:05:06,placed,1\n"
        + "O3,C1,03/02/2024 04:05,placed,1\nO4,C2,12/31/2024,placed,1\n"
        + "O5,C1,2024-02-03T04:05:06,placed,1\n",
    )
    write(
        tmp_path / "s" / "customers.csv",
        "customer_id,email,email_consent,sms_consent,whatsapp_consent\n"
        "C1,a@x.com,true,no,unsubscribed\nC2,b@x.com,Yes,0,maybe\n",
    )
    report = ingest_path(tmp_path / "s", db_path=db)
    assert_accounted(report, db)
    write(tmp_path / "s" / "customers.csv", "customer_id,email_consent\nC1,true\nC2,false\n")
    ingest_path(tmp_path / "s", db_path=db)
    assert [
        str(r[0]) for r in query(db, "SELECT ordered_at FROM raw.orders ORDER BY order_id")
    ] == [
        "2024-02-03 00:00:00",
        "2024-02-03 04:05:06",
        "2024-03-02 04:05:00",  # 12/31/2024 proves the file month-first (MDY)
        "2024-12-31 00:00:00",
        "2024-02-03 04:05:06",
    ]
    write(
        tmp_path / "s" / "customers.csv",
        "customer_id,email,email_consent,sms_consent,whatsapp_consent\n"
        "C1,a@x.com,true,no,unsubscribed\nC2,b@x.com,Yes,0,maybe\n",
    )
    report = ingest_path(tmp_path / "s", db_path=db)
    assert_accounted(report, db)
    assert query(
        db, "SELECT customer_id, email_consent, sms_consent, whatsapp_consent FROM raw.customers"
    ) == [("C1", "subscribed", "not_subscribed", "unsubscribed")]
    assert query(
        db, "SELECT line_number, reason FROM raw.quarantine WHERE table_name = 'customers'"
    ) == [
        (
            3,
            "value not in accepted set for whatsapp_consent: 'maybe' "
            "(expected subscribed|unsubscribed|not_subscribed)",
        )
    ]
    # C2 is quarantined, so its orders are orphans.
    assert query(
        db, "SELECT line_number FROM raw.quarantine WHERE reason LIKE 'orphan%' ORDER BY 1"
    ) == [(3,), (5,)]


def test_orphans_quarantined_when_parent_loaded(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "s" / "customers.csv", "customer_id\nC1\n")
    write(
        tmp_path / "s" / "orders.csv",
        ORDERS_HEADER + "O1,C1,2024-01-01,placed,1\n"
        "O2,C9,2024-01-01,placed,1\nO3,,2024-01-01,placed,1\n",
    )
    write(
        tmp_path / "s" / "order_items.csv",
        "order_id,product_id,quantity,unit_price\nO1,P1,1,1\nO2,P1,1,1\n",
    )
    report = ingest_path(tmp_path / "s", db_path=db)
    assert_accounted(report, db)
    assert query(db, "SELECT table_name, reason FROM raw.quarantine ORDER BY 1") == [
        ("order_items", "orphan: order_id 'O2' not found in orders"),
        ("orders", "orphan: customer_id 'C9' not found in customers"),
    ]
    assert query(db, "SELECT order_id FROM raw.orders ORDER BY 1") == [("O1",), ("O3",)]


def test_ten_percent_garbage_non_utf8_and_semicolons(tmp_path: Path, db: Path) -> None:
    good = _good_orders(90).replace(",", ";")
    garbage = "".join(f"@@garbage {i} \x00 ;;\n" for i in range(10))
    data = (
        ORDERS_HEADER.replace(",", ";") + good + garbage
    ).encode() + b"O999;C1;2024-01-01;pl\xffaced;5\n"
    write(tmp_path / "orders.csv", data)
    report = ingest_path(tmp_path / "orders.csv", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (101, 90, 11)
    raw = query(db, "SELECT raw_text, reason FROM raw.quarantine WHERE reason LIKE 'undecodable%'")
    assert raw == [("O999;C1;2024-01-01;pl\\xffaced;5", raw[0][1])]


def test_header_only_loads_nothing_and_empty_file_is_an_input_error(
    tmp_path: Path, db: Path
) -> None:
    write(tmp_path / "a" / "orders.csv", ORDERS_HEADER)
    report = ingest_path(tmp_path / "a", db_path=db)
    assert (report.rows_read, report.rows_loaded) == (0, 0)
    write(tmp_path / "b" / "orders.csv", "")
    with pytest.raises(InputError, match=r"orders\.csv: file is empty"):
        ingest_path(tmp_path / "b", db_path=db)


def test_wrong_header_names_file_and_expected_columns(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "orders.csv", "id,when,state\n1,2024-01-01,placed\n")
    with pytest.raises(InputError) as err:
        ingest_path(tmp_path / "orders.csv", db_path=db)
    message = str(err.value)
    assert "orders.csv" in message and "order_id, customer_id, ordered_at" in message
    assert "\n" not in message


def test_missing_path_unknown_format_and_folder_without_orders(tmp_path: Path, db: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest_path(tmp_path / "nope", db_path=db)
    with pytest.raises(InputError, match="unknown format 'xml'"):
        ingest_path(tmp_path, "xml", db_path=db)
    write(tmp_path / "f" / "customers.csv", "customer_id\nC1\n")
    with pytest.raises(InputError, match="no orders.csv"):
        ingest_path(tmp_path / "f", db_path=db)


def test_parquet_file_and_all_raw_tables_exist(tmp_path: Path, db: Path) -> None:
    import duckdb

    src = tmp_path / "p" / "orders.parquet"
    src.parent.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT 'O' || i AS order_id, TIMESTAMP '2024-01-01' AS ordered_at, "
            f"CASE WHEN i = 3 THEN 'nope' ELSE 'placed' END AS status, i * 1.5 AS total "
            f"FROM range(5) t(i)) TO '{src}' (FORMAT parquet)"
        )
    report = ingest_path(tmp_path / "p", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_loaded, report.rows_quarantined) == (4, 1)
    assert query(db, "SELECT line_number FROM raw.quarantine") == [(4,)]
    assert set(report.table_rows) == {
        "customers",
        "orders",
        "order_items",
        "products",
        "events",
        "feedback",
        "shipment_events",
    }
