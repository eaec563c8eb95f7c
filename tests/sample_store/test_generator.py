"""The synthetic store: deterministic per seed, contract-clean, and behaviourally realistic."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from retention.core.raw_contract import TABLES
from retention.ingest import ingest_path
from retention.sample_store import generate_store

END = date(2026, 10, 31)
pytestmark = pytest.mark.xdist_group("sample_store")


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, int], duckdb.DuckDBPyConnection]:
    """2,000 customers generated and ingested once for this module."""
    root = tmp_path_factory.mktemp("store")
    counts = generate_store(root / "csv", customers=2_000, seed=11)
    report = ingest_path(root / "csv", db_path=root / "w.duckdb")
    assert report.rows_quarantined == 0, report.quarantine_reasons
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    yield root / "csv", counts, con
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return con.execute(sql).fetchone()[0]


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = generate_store(tmp_path / "a", customers=300, seed=5)
    b = generate_store(tmp_path / "b", customers=300, seed=5)
    c = generate_store(tmp_path / "c", customers=300, seed=6)
    assert a == b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c") and c["customers"] == 300


def test_files_match_contract_columns(store) -> None:
    folder, counts, _ = store
    for name, spec in TABLES.items():
        header = (folder / f"{name}.csv").read_text().splitlines()[0].replace('"', "")
        assert header.split(",") == list(spec.columns)
    assert counts["customers"] == 2_000 and 150 <= counts["products"] <= 250


def test_history_window_seasonality_and_recent_activity(store) -> None:
    _, _, con = store
    first, last = con.execute("SELECT min(ordered_at), max(ordered_at) FROM raw.orders").fetchone()
    assert (END - first.date()).days > 2.5 * 365 and last.date() <= END
    peak = _one(
        con,
        "SELECT count(*) FILTER (WHERE month(ordered_at) IN (11, 12)) / 2.0 "
        "FROM raw.orders WHERE ordered_at >= DATE '2024-11-01'",
    )
    other = _one(
        con,
        "SELECT count(*) FILTER (WHERE month(ordered_at) IN (9, 10)) / 2.0 "
        "FROM raw.orders WHERE ordered_at >= DATE '2024-09-01'",
    )
    assert peak > other
    recent = "'2026-10-03'"
    assert _one(con, f"SELECT count(*) FROM raw.orders WHERE ordered_at >= {recent}") > 0
    assert _one(con, "SELECT count(*) FROM raw.orders WHERE status IN ('placed', 'shipped')") > 0
    assert _one(con, f"SELECT count(*) FROM raw.customers WHERE signed_up_at >= {recent}") > 0
    abandoned = _one(
        con,
        f"""
        SELECT count(*) FROM raw.events e WHERE e.event_type = 'add_to_cart'
          AND e.occurred_at >= {recent} AND NOT EXISTS (
            SELECT 1 FROM raw.orders o WHERE o.customer_id = e.customer_id
              AND o.ordered_at BETWEEN e.occurred_at AND e.occurred_at + INTERVAL 1 DAY)""",
    )
    assert abandoned > 0
    assert _one(con, "SELECT count(DISTINCT month(birth_date)) FROM raw.customers") == 12


def test_bg_nbd_like_repeat_and_churn(store) -> None:
    _, _, con = store
    per_customer = """(SELECT c.customer_id, count(o.order_id) AS n FROM raw.customers c
        LEFT JOIN raw.orders o ON o.customer_id = c.customer_id
        AND o.status NOT IN ('cancelled', 'returned') GROUP BY 1)"""
    never = _one(con, f"SELECT avg((n = 0)::INT) FROM {per_customer}")
    repeat = _one(con, f"SELECT avg((n >= 2)::INT) FROM {per_customer} WHERE n > 0")
    assert 0.1 < never < 0.4
    assert 0.3 < repeat < 0.7
    lapsed = _one(
        con,
        """SELECT avg((last < DATE '2026-05-01')::INT) FROM (
        SELECT customer_id, max(ordered_at) AS last FROM raw.orders GROUP BY 1)""",
    )
    assert lapsed > 0.4  # many customers churn


def test_engagement_fades_for_lapsed_customers(store) -> None:
    _, _, con = store
    rates = con.execute("""
        WITH last AS (SELECT customer_id, max(ordered_at) AS last_order FROM raw.orders GROUP BY 1),
        recent AS (SELECT customer_id, count(*) AS n FROM raw.events
                   WHERE occurred_at >= DATE '2026-08-01' GROUP BY 1)
        SELECT avg(coalesce(r.n, 0)) FILTER (WHERE l.last_order >= DATE '2026-07-01'),
               avg(coalesce(r.n, 0)) FILTER (WHERE l.last_order < DATE '2025-10-01')
        FROM last l LEFT JOIN recent r USING (customer_id)""").fetchone()
    assert rates[0] > 3 * rates[1]


def test_consents_contacts_and_discounts(store) -> None:
    _, _, con = store
    consent = dict(
        con.execute("SELECT email_consent, count(*) FROM raw.customers GROUP BY 1").fetchall()
    )
    assert consent["subscribed"] > consent["unsubscribed"] > 0
    sms = dict(con.execute("SELECT sms_consent, count(*) FROM raw.customers GROUP BY 1").fetchall())
    assert sms["not_subscribed"] > sms["subscribed"] > 0
    assert _one(con, "SELECT count(*) FROM raw.customers WHERE whatsapp_consent = 'subscribed'") > 0
    assert _one(con, "SELECT count(*) FROM raw.customers WHERE preferred_channel IS NULL") > 0
    assert _one(con, "SELECT count(*) FROM raw.customers WHERE email NOT LIKE '%_@_%._%'") > 0
    formats = con.execute(
        "SELECT count(*) FILTER (WHERE phone LIKE '+%'), "
        "count(*) FILTER (WHERE phone LIKE '0%'), "
        "count(*) FILTER (WHERE phone LIKE '(%') FROM raw.customers"
    ).fetchone()
    assert min(formats) > 0
    assert _one(con, "SELECT count(*) FROM raw.order_items WHERE unit_price < list_price") > 0
    assert _one(con, "SELECT count(DISTINCT discount_code) FROM raw.orders") >= 4
    sizes = {r[0] for r in con.execute("SELECT DISTINCT size FROM raw.order_items").fetchall()}
    assert {"XS", "S", "M", "L", "XL", "one-size"} <= sizes


def test_orders_shipments_feedback_consistent(store) -> None:
    _, _, con = store
    assert (
        _one(
            con,
            """SELECT count(*) FROM raw.orders WHERE
        (status IN ('delivered', 'returned')
         AND (delivered_at IS NULL OR delivered_at < shipped_at))
        OR (status IN ('placed', 'cancelled') AND shipped_at IS NOT NULL)
        OR (status = 'shipped' AND (shipped_at IS NULL OR delivered_at IS NOT NULL))""",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM raw.shipment_events WHERE status = 'exception'") > 0
    assert _one(con, "SELECT min(nps_score) FROM raw.feedback") == 0
    assert _one(con, "SELECT max(csat_score) FROM raw.feedback") == 5
    quiz = _one(
        con,
        "SELECT count(*) FROM raw.events WHERE event_type = 'quiz_answer' "
        "AND (properties->>'skin_type' IS NOT NULL OR properties->>'style' IS NOT NULL)",
    )
    assert quiz > 0
    pairs = _one(
        con,
        """SELECT max(n) FROM (SELECT a.product_id, b.product_id, count(*) AS n
        FROM raw.order_items a JOIN raw.order_items b ON a.order_id = b.order_id
        AND a.product_id < b.product_id GROUP BY 1, 2)""",
    )
    singles = _one(con, "SELECT count(*) FROM raw.orders")
    assert pairs > singles * 0.01
