"""A build as of a past date sees only what was knowable then."""

from __future__ import annotations

from datetime import date, datetime

import pytest

pytestmark = pytest.mark.xdist_group("warehouse_past_store")

AS_OF = date(2024, 4, 1)


def test_as_of_var_drives_the_build(past_fixture_warehouse):
    con = past_fixture_warehouse
    assert con.execute("select as_of_date from marts.as_of_date").fetchall() == [(AS_OF,)]
    latest = con.execute("select max(ordered_at) from marts.fct_orders").fetchone()[0]
    assert latest < datetime(2024, 4, 1)


def test_rfm_and_traits_as_of_the_past_date(past_fixture_warehouse):
    con = past_fixture_warehouse
    rfm = con.execute(
        "select recency_days, frequency, monetary from marts.customer_rfm where customer_id = 'c1'"
    ).fetchone()
    # o1 and o2 only: last purchase 2023-06-15
    assert rfm[:2] == ((AS_OF - date(2023, 6, 15)).days, 2) and float(rfm[2]) == 150.0
    traits = con.execute(
        "select funnel_stage, engagement_level from marts.dim_customers where customer_id = 'c1'"
    ).fetchone()
    assert traits == ("lapsed", "none")
    customers = {
        r[0] for r in con.execute("select customer_id from marts.dim_customers").fetchall()
    }
    assert "c4" not in customers  # signed up 2024-05-01, after as_of
    nps_months = con.execute("select count(*) from marts.cx_metrics where nps_responses > 0")
    assert nps_months.fetchone()[0] == 0
