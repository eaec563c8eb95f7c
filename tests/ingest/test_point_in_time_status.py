"""One small dbt build on ingested files: order status as of the build date (a later
cancellation or return does not undo a purchase) and contact cleaning (phone extensions,
invisible characters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from retention.ingest import ingest_path
from tests.ingest.conftest import write

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ingest_point_in_time")]

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
ORDERS = (
    "order_id,customer_id,ordered_at,status,total,delivered_at,cancelled_at,returned_at\n"
    # returned on 2024-03-20, after the build date: still a delivered purchase as of 2024-03-15
    "O1,C1,2024-03-01 10:00:00,returned,40,2024-03-04 10:00:00,,2024-03-20 09:00:00\n"
    # cancelled before the build date: not a purchase
    "O2,C1,2024-03-02 10:00:00,cancelled,30,,2024-03-03 08:00:00,\n"
    # cancelled after the build date: still a placed purchase
    "O3,C2,2024-03-10 10:00:00,cancelled,25,,2024-03-16 08:00:00,\n"
    # returned before the build date
    "O4,C2,2024-03-05 10:00:00,returned,60,2024-03-06 10:00:00,,2024-03-08 10:00:00\n"
    # returned, date unknown: the final status is all we know
    "O5,C3,2024-03-05 10:00:00,returned,15,2024-03-06 10:00:00,,\n"
    "O6,C3,2024-03-25 10:00:00,delivered,15,2024-03-26 10:00:00,,\n"
)


# Contacts as pasted from spreadsheets and CRMs: extensions glued to phones, invisible characters
# around emails. Customers first (orders of unknown customers would be orphans).
CUSTOMERS = (
    "customer_id,email,phone,country\n"
    "C1,\u200bAnn@Example.com\u00a0,+1 555 123 4567 ext. 89,US\n"
    "C2,bo\u00a0b@example.com,555-123-4567 x89,US\n"
    "C3,cy@example.com\u2060,020 7946 0018 #12,GB\n"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ingest the orders and build staging to marts as of 2024-03-15 with real dbt."""
    work = tmp_path_factory.mktemp("pit")
    db = work / "w.duckdb"
    write(work / "store" / "customers.csv", CUSTOMERS)
    write(work / "store" / "orders.csv", ORDERS)
    report = ingest_path(work / "store", db_path=db)
    assert (report.rows_loaded, report.rows_quarantined) == (9, 0)
    args = [
        str(Path(sys.executable).parent / "dbt"), "build",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--select", "+fct_orders", "+customer_rfm", "+stg_shop__customers",
        "--exclude", "resource_type:test", "resource_type:unit_test",
        "--vars", "{as_of_date: '2024-03-15'}",
    ]  # fmt: skip
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db)}
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    return db


def test_status_is_the_one_known_on_the_build_date(built: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        orders = con.execute(
            "select order_id, status, cancelled_at is not null, returned_at is not null "
            "from staging.stg_shop__orders order by 1"
        ).fetchall()
        rfm = dict(con.execute("select customer_id, frequency from marts.customer_rfm").fetchall())
    assert orders == [
        ("O1", "delivered", False, False),
        ("O2", "cancelled", True, False),
        ("O3", "placed", False, False),
        ("O4", "returned", False, True),
        ("O5", "returned", False, False),
    ]
    # C1: O1 counts (its return came later); C2: O3 counts, O4 was returned before as_of
    assert rfm["C1"] == 1 and rfm["C2"] == 1


def test_phone_extensions_and_invisible_email_characters_are_cleaned(built: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        rows = con.execute(
            "select customer_id, email, is_email_valid, phone from staging.stg_shop__customers "
            "order by 1"
        ).fetchall()
    assert rows == [
        ("C1", "ann@example.com", True, "+15551234567"),
        ("C2", "bo b@example.com", False, "+15551234567"),  # a no-break space inside: invalid
        ("C3", "cy@example.com", True, "+442079460018"),
    ]
