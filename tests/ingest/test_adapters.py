"""The online-retail-ii and cdnow adapters on crafted slices and the published CDNOW sample."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from retention.ingest import ingest_path
from tests.ingest.conftest import assert_accounted, query, write

# Exact UCI Online Retail II CSV layout (as exported from the workbook).
UCI = """Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom
489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom
489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,6,2009-12-01 07:45:00,6.95,13085.0,United Kingdom
489435,22350,CAT BOWL ,12,2009-12-01 07:46:00,2.55,13085.0,United Kingdom
489436,POST,POSTAGE,1,2009-12-01 09:06:00,18.00,,United Kingdom
489436,21755,"LOVE BUILDING BLOCK WORD, LARGE",3,2009-12-01 09:06:00,5.95,,United Kingdom
C489449,22087,PAPER BUNTING WHITE LACE,-12,2009-12-01 10:33:00,2.95,16321.0,Australia
489450,21871,SAVE THE PLANET MUG,-3,2009-12-01 10:40:00,1.25,,United Kingdom
489451,21871,SAVE THE PLANET MUG,x,2009-12-01 10:40:00,1.25,12682.0,France
A506401,B,Adjust bad debt,1,2010-04-29 13:36:00,-53594.36,,United Kingdom
"""


def test_online_retail_ii_slice(tmp_path: Path, db: Path) -> None:
    write(tmp_path / "online_retail_II.csv", UCI)
    report = ingest_path(tmp_path / "online_retail_II.csv", "online-retail-ii", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (10, 7, 3)
    assert report.anonymous_rows == 2
    assert query(db, "SELECT order_id, customer_id, status, total FROM raw.orders ORDER BY 1") == [
        ("489434", "13085", "delivered", Decimal("206.10")),
        ("489435", "13085", "delivered", Decimal("30.60")),
        ("489436", None, "delivered", Decimal("35.85")),
        ("C489449", "16321", "cancelled", Decimal("35.40")),
    ]
    assert query(db, "SELECT customer_id, country FROM raw.customers ORDER BY 1") == [
        ("13085", "United Kingdom"),
        ("16321", "Australia"),
    ]
    items = query(db, "SELECT order_id, product_id, quantity FROM raw.order_items ORDER BY 1, 2")
    assert ("489434", "85048", 18) in items and len(items) == 6
    assert query(db, "SELECT category FROM raw.products WHERE product_id = 'POST'") == [
        ("non_product",)
    ]
    reasons = [r[0] for r in query(db, "SELECT reason FROM raw.quarantine ORDER BY line_number")]
    assert reasons[0].startswith("negative value in quantity on a sales invoice")
    assert reasons[1] == "type error in quantity: 'x' is not INTEGER"
    assert reasons[2] == "negative value in price: '-53594.36'"


def test_cdnow_sample_from_shared_data(shared_dir: Path, db: Path) -> None:
    report = ingest_path(shared_dir / "data" / "cdnow", "cdnow", db_path=db)
    assert_accounted(report, db)
    assert report.rows_read == 6919 and report.rows_quarantined == 0
    assert report.table_rows["customers"] == 2357
    # One order per customer-day (purchase occasion), dollars summed.
    days = query(
        db, "SELECT count(*) FROM (SELECT DISTINCT customer_id, ordered_at FROM raw.orders)"
    )
    assert report.table_rows["orders"] == days[0][0] < 6919
    assert query(
        db, "SELECT min(ordered_at)::DATE::VARCHAR, max(ordered_at)::DATE::VARCHAR FROM raw.orders"
    ) == [("1997-01-01", "1998-06-30")]


def test_cdnow_full_layout_with_header_and_bad_rows(tmp_path: Path, db: Path) -> None:
    write(
        tmp_path / "CDNOW_master.txt",
        "customer_id date number_of_cds dollar_value\n"
        "    1 19970101  1   11.77\n"
        "    2 19970112  1   12.00\n"
        "    2 19970112  5   77.00\n"
        "    3 1997-13-45  2   20.76\n"
        "    4 19970102  2\n"
        "    5 19970102  -2  10.00\n",
    )
    report = ingest_path(tmp_path / "CDNOW_master.txt", "cdnow", db_path=db)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (6, 3, 3)
    assert query(db, "SELECT order_id, total FROM raw.orders ORDER BY 1") == [
        ("1-19970101", Decimal("11.77")),
        ("2-19970112", Decimal("89.00")),
    ]
    assert query(db, "SELECT line_number, reason FROM raw.quarantine ORDER BY 1") == [
        (5, "unparseable date in purchase_date: '1997-13-45'"),
        (6, "malformed line: expected 4 whitespace-separated fields, found 3"),
        (7, "negative value in cds: '-2'"),
    ]
