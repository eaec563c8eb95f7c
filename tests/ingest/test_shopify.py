"""The shopify adapter on a crafted orders export with the real column layout."""

from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest

from retention.core.errors import InputError
from retention.ingest import ingest_path
from tests.ingest.conftest import assert_accounted, query, write

# Header of Admin > Orders > Export > "Plain CSV file", in Shopify's order.
HEADER_LINE = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
)
HEADER = HEADER_LINE.split(",")


def _order(name: str, email: str, created: str, **fields: str) -> dict[str, str]:
    """Order-level fields of an order's first line."""
    return {
        "Name": name,
        "Email": email,
        "Created at": created,
        "Currency": "EUR",
        "Shipping": "5.00",
        "Taxes": "0.00",
        "Discount Amount": "0.00",
        "Billing Country": "FR",
        "Risk Level": "Low",
        "Source": "web",
        **fields,
    }


def _line(name: str, email: str, created: str, qty: str, item: str, price: str, **f: str) -> dict:
    """Line-item fields, which every line of an order carries."""
    return {
        "Name": name,
        "Email": email,
        "Created at": created,
        "Lineitem quantity": qty,
        "Lineitem name": item,
        "Lineitem price": price,
        "Lineitem requires shipping": "true",
        "Lineitem taxable": "true",
        "Vendor": "Acme",
        **f,
    }


def _export(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


T1 = "2024-03-05 14:22:11 +0100"
T2 = "2024-04-02 09:00:00 +0200"
ROWS = [
    # line 2-3: #1001, two lines, discount code, fulfilled, mixed-case email, sized tee.
    _order(
        "#1001",
        "Alice@Example.com",
        T1,
        **{
            "Financial Status": "paid",
            "Paid at": T1,
            "Fulfillment Status": "fulfilled",
            "Fulfilled at": "2024-03-06 10:00:00 +0100",
            "Accepts Marketing": "yes",
            "Subtotal": "70.00",
            "Total": "75.00",
            "Discount Code": "WELCOME10",
            "Discount Amount": "10.00",
            "Billing Name": "Alice Martin",
            "Billing City": "Paris",
            "Billing Phone": "+33610826417",
        },
    )
    | _line("#1001", "Alice@Example.com", T1, "2", "Classic Tee - M", "25.00")
    | {"Lineitem compare at price": "30.00", "Lineitem sku": "TEE-M"},
    _line("#1001", "Alice@Example.com", T1, "1", "Canvas Tote", "30.00"),
    # line 4: #1002, paid but unfulfilled -> placed; variant "Black / XL", no sku.
    _order(
        "#1002",
        "bob@example.com",
        T1,
        **{
            "Financial Status": "paid",
            "Fulfillment Status": "unfulfilled",
            "Accepts Marketing": "no",
            "Subtotal": "40.00",
            "Shipping": "0.00",
            "Total": "40.00",
            "Billing Name": "Bob",
            "Billing City": "Lyon",
        },
    )
    | _line("#1002", "bob@example.com", T1, "1", "Runner Sneaker - Black / XL", "40.00"),
    # line 5: #1003, Alice again, refunded -> returned; her later order sets her consent.
    _order(
        "#1003",
        "alice@example.com",
        T2,
        **{
            "Financial Status": "refunded",
            "Fulfillment Status": "fulfilled",
            "Accepts Marketing": "no",
            "Subtotal": "25.00",
            "Total": "30.00",
            "Billing Name": "Alice Martin-Roy",
            "Billing City": "Nantes",
            "Phone": "+33700000000",
        },
    )
    | _line("#1003", "alice@example.com", T2, "1", "Classic Tee - M", "25.00")
    | {"Lineitem compare at price": "30.00", "Lineitem sku": "TEE-M"},
    # line 6-7: #1004, cancelled (Cancelled at wins over refunded); a quoted comma.
    _order(
        "#1004",
        "carol@example.com",
        T2,
        **{
            "Financial Status": "refunded",
            "Fulfillment Status": "unfulfilled",
            "Cancelled at": "2024-04-02 12:00:00 +0200",
            "Subtotal": "35.00",
            "Total": "40.00",
            "Billing Name": "Carol Ann Smith",
        },
    )
    | _line("#1004", "carol@example.com", T2, "1", "Mug, Large", "15.00", **{"Vendor": ""}),
    _line("#1004", "carol@example.com", T2, "1", "Classic Tee - S", "20.00"),
    # line 8-9: #1005, POS order without email -> anonymous.
    _order(
        "#1005",
        "",
        T2,
        **{
            "Financial Status": "paid",
            "Fulfillment Status": "fulfilled",
            "Subtotal": "60.00",
            "Shipping": "0.00",
            "Total": "60.00",
            "Source": "pos",
        },
    )
    | _line("#1005", "", T2, "1", "Canvas Tote", "30.00"),
    _line("#1005", "", T2, "1", "Canvas Tote", "30.00"),
    # line 10-11: #1006, bad date on the first line (the only one with Created at) -> the whole
    # order is quarantined.
    _order(
        "#1006",
        "dave@example.com",
        "2024-02-30 10:00:00 +0100",
        **{"Financial Status": "paid", "Subtotal": "25.00", "Total": "30.00"},
    )
    | _line("#1006", "dave@example.com", "2024-02-30 10:00:00 +0100", "1", "Canvas Tote", "25.00"),
    _line("#1006", "dave@example.com", "", "1", "Classic Tee - S", "1"),
    # line 12-13: #1007, second line has a negative quantity -> only that line is quarantined.
    _order(
        "#1007",
        "erin@example.com",
        T2,
        **{"Financial Status": "pending", "Subtotal": "20.00", "Total": "25.00"},
    )
    | _line("#1007", "erin@example.com", T2, "1", "Classic Tee - S", "20.00"),
    _line("#1007", "erin@example.com", T2, "-1", "Canvas Tote", "30.00"),
]


def _cid(email: str) -> str:
    return "shp_" + hashlib.md5(email.encode()).hexdigest()[:16]


def _pid(name: str) -> str:
    return "name-" + hashlib.md5(name.lower().encode()).hexdigest()[:12]


def test_export_maps_to_raw_tables_and_quarantines_bad_lines(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "orders_export_1.csv", _export(ROWS))
    report = ingest_path(tmp_path / "orders_export_1.csv", "shopify", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (12, 9, 3)
    assert report.anonymous_rows == 2
    assert [(f.table_name, f.format) for f in report.files] == [("shopify_order_lines", "shopify")]
    assert query(db, "SELECT line_number, reason FROM raw.quarantine ORDER BY 1") == [
        (10, "unparseable date in created_at: '2024-02-30 10:00:00 +0100'"),
        (
            11,
            "order without its order fields: no valid line of '#1006' has Created at and Total "
            "(its first line is missing or was quarantined)",
        ),
        (13, "negative value in lineitem_quantity: '-1'"),
    ]
    raw11 = query(db, "SELECT raw_text FROM raw.quarantine WHERE line_number = 11")[0][0]
    assert raw11.startswith("#1006,dave@example.com,") and "Classic Tee - S" in raw11

    alice, bob, carol, erin = (_cid(f"{n}@example.com") for n in ("alice", "bob", "carol", "erin"))
    assert query(
        db,
        "SELECT order_id, customer_id, ordered_at::VARCHAR, status, currency, subtotal, "
        "discount_amount, shipping_amount, total, discount_code, shipped_at::VARCHAR "
        "FROM raw.orders ORDER BY 1",
    ) == [
        ("#1001", alice, "2024-03-05 13:22:11", "shipped", "EUR", Decimal("80.00"),
         Decimal("10.00"), Decimal("5.00"), Decimal("75.00"), "WELCOME10",
         "2024-03-06 09:00:00"),
        ("#1002", bob, "2024-03-05 13:22:11", "placed", "EUR", Decimal("40.00"),
         Decimal("0.00"), Decimal("0.00"), Decimal("40.00"), None, None),
        ("#1003", alice, "2024-04-02 07:00:00", "returned", "EUR", Decimal("25.00"),
         Decimal("0.00"), Decimal("5.00"), Decimal("30.00"), None, None),
        ("#1004", carol, "2024-04-02 07:00:00", "cancelled", "EUR", Decimal("35.00"),
         Decimal("0.00"), Decimal("5.00"), Decimal("40.00"), None, None),
        ("#1005", None, "2024-04-02 07:00:00", "shipped", "EUR", Decimal("60.00"),
         Decimal("0.00"), Decimal("0.00"), Decimal("60.00"), None, None),
        ("#1007", erin, "2024-04-02 07:00:00", "placed", "EUR", Decimal("20.00"),
         Decimal("0.00"), Decimal("5.00"), Decimal("25.00"), None, None),
    ]  # fmt: skip
    # offsets are applied (UTC); Cancelled at becomes cancelled_at
    assert query(
        db, "SELECT order_id, cancelled_at::VARCHAR FROM raw.orders WHERE cancelled_at IS NOT NULL"
    ) == [("#1004", "2024-04-02 10:00:00")]
    assert query(
        db,
        "SELECT customer_id, email, phone, first_name, last_name, country, city, email_consent "
        "FROM raw.customers ORDER BY email",
    ) == [
        (alice, "alice@example.com", "+33700000000", "Alice", "Martin-Roy", "FR", "Nantes",
         "not_subscribed"),
        (bob, "bob@example.com", None, "Bob", None, "FR", "Lyon", "not_subscribed"),
        (carol, "carol@example.com", None, "Carol", "Ann Smith", "FR", None, None),
        (erin, "erin@example.com", None, None, None, "FR", None, None),
    ]  # fmt: skip
    tote, sneaker, mug = _pid("Canvas Tote"), _pid("Runner Sneaker - Black"), _pid("Mug, Large")
    tee_s = _pid("Classic Tee")
    assert query(
        db, "SELECT order_id, product_id, quantity, unit_price, list_price, size "
        "FROM raw.order_items ORDER BY 1, 2",
    ) == sorted([
        ("#1001", "TEE-M", 2, Decimal("25.00"), Decimal("30.00"), "M"),
        ("#1001", tote, 1, Decimal("30.00"), Decimal("30.00"), None),
        ("#1002", sneaker, 1, Decimal("40.00"), Decimal("40.00"), "XL"),
        ("#1003", "TEE-M", 1, Decimal("25.00"), Decimal("30.00"), "M"),
        ("#1004", mug, 1, Decimal("15.00"), Decimal("15.00"), None),
        ("#1004", tee_s, 1, Decimal("20.00"), Decimal("20.00"), "S"),
        ("#1005", tote, 2, Decimal("30.00"), Decimal("30.00"), None),
        ("#1007", tee_s, 1, Decimal("20.00"), Decimal("20.00"), "S"),
    ])  # fmt: skip
    assert query(
        db, "SELECT product_id, name, category, list_price FROM raw.products ORDER BY _source_line"
    ) == [
        ("TEE-M", "Classic Tee", "Acme", Decimal("30.00")),
        (tote, "Canvas Tote", "Acme", Decimal("30.00")),
        (sneaker, "Runner Sneaker - Black", "Acme", Decimal("40.00")),
        (mug, "Mug, Large", None, Decimal("15.00")),
        (tee_s, "Classic Tee", "Acme", Decimal("20.00")),
    ]
    # Without dbt: for every order with no quarantined line, its items minus the discount make
    # Shopify's Subtotal, and the total is that plus shipping (taxes are 0 in this export).
    assert (
        query(
            db,
            "SELECT o.order_id, count(*), sum(i.quantity) FROM raw.orders o "
            "JOIN raw.order_items i USING (order_id) WHERE o.order_id <> '#1007' GROUP BY 1 "
            "HAVING sum(i.quantity * i.unit_price) - any_value(o.discount_amount) "
            "<> any_value(o.total) - any_value(o.shipping_amount) ORDER BY 1",
        )
        == []
    )
    assert query(
        db, "SELECT count(*), sum(quantity) FROM raw.order_items WHERE order_id <> '#1007'"
    ) == [(7, 9)]


def test_rerun_is_idempotent(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "orders_export_1.csv", _export(ROWS))
    tables = ("customers", "orders", "order_items", "products")

    def snapshot() -> list[list[tuple]]:
        return [
            query(db, f"SELECT * EXCLUDE (_loaded_at) FROM raw.{t} ORDER BY ALL") for t in tables
        ] + [query(db, "SELECT * EXCLUDE (loaded_at) FROM raw.quarantine ORDER BY ALL")]

    ingest_path(tmp_path / "orders_export_1.csv", "shopify", db_path=db)
    first = snapshot()
    second = ingest_path(tmp_path / "orders_export_1.csv", "shopify", db_path=db)
    assert_accounted(second, db)
    assert snapshot() == first
    assert [len(rows) for rows in first] == [4, 6, 8, 5, 3]


def test_overlapping_exports_keep_each_order_once(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "exports" / "a.csv", _export(ROWS[:3]))
    write(tmp_path / "exports" / "b.csv", _export(ROWS[2:5]))
    report = ingest_path(tmp_path / "exports", "shopify", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (6, 5, 1)
    assert query(db, "SELECT source_file, line_number, reason FROM raw.quarantine") == [
        (
            str(tmp_path / "exports" / "b.csv"),
            2,
            f"duplicate order: Name '#1002' already read from {tmp_path / 'exports' / 'a.csv'}",
        )
    ]
    assert query(db, "SELECT order_id, _source_file FROM raw.orders ORDER BY 1") == [
        ("#1001", str(tmp_path / "exports" / "a.csv")),
        ("#1002", str(tmp_path / "exports" / "a.csv")),
        ("#1003", str(tmp_path / "exports" / "b.csv")),
        ("#1004", str(tmp_path / "exports" / "b.csv")),
    ]


def test_export_lacking_columns_or_folder_without_csv_is_an_input_error(
    tmp_path: Path, db: Path
) -> None:
    write(tmp_path / "orders.csv", "Name,Email,Total\n#1,a@x.com,5\n")
    with pytest.raises(InputError) as err:
        ingest_path(tmp_path / "orders.csv", "shopify", db_path=db)
    message = str(err.value)
    assert "orders.csv: header lacks required column(s) created_at, lineitem_quantity" in message
    assert "expected columns: name, email, financial_status" in message and "\n" not in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no CSV files of Shopify orders; expected columns: Name"):
        ingest_path(tmp_path / "empty", "shopify", db_path=db)
