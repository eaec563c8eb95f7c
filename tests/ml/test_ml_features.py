"""Point-in-time churn features: nothing dated on or after the cutoff can change them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from ml.errors import FeaturesNotBuiltError
from ml.features import build_features, build_labels
from retention.core.raw_contract import EVENT_TYPES

CUTOFF = date(2024, 10, 3)  # the validation cutoff (int_churn_cutoffs) of the 2025-01-01 store
CUT = "timestamp '2024-10-03'"


def test_rows_on_or_after_cutoff_change_no_feature(sim_con):
    before = build_features(sim_con, CUTOFF)
    assert before.customer_id.size > 1000
    con = sim_con
    con.execute(f"""
        update marts.fct_orders
        set ordered_at = ordered_at + interval 3 day, net_revenue = net_revenue * 7,
            has_discount = not has_discount, status = 'returned', is_purchase = false
        where ordered_at >= {CUT}""")
    con.execute(f"""
        insert into marts.fct_orders
        select order_id || '-late', customer_id, {CUT} + interval 1 hour, order_date, status,
               is_purchase, gross_total, discount_amount, 999, true, shipped_at, delivered_at,
               days_to_deliver, true
        from marts.fct_orders where ordered_at < {CUT} limit 500""")
    con.execute(f"""
        insert into marts.fct_order_items
        select order_id, customer_id, {CUT}, product_id, 'new-category', size, quantity,
               unit_price, list_price, line_revenue, is_full_price
        from marts.fct_order_items limit 500""")
    con.execute(f"update marts.fct_order_items set category = 'x' where ordered_at >= {CUT}")
    con.execute(f"""
        update staging.stg_shop__events set occurred_at = occurred_at + interval 2 day,
               event_type = 'email_click' where occurred_at >= {CUT}""")
    con.execute(f"""
        insert into staging.stg_shop__events
        select customer_id, event_type, {CUT} + interval 5 minute, channel, product_id, properties
        from staging.stg_shop__events limit 2000""")
    con.execute(f"""
        insert into staging.stg_shop__feedback
        select customer_id, order_id, {CUT}, 0, 1 from staging.stg_shop__feedback limit 500""")
    con.execute(f"""
        update staging.stg_shop__feedback set nps_score = 0 where submitted_at >= {CUT}""")
    con.execute(f"""
        insert into staging.stg_shop__shipment_events
        select order_id, 'exception', {CUT} from marts.fct_orders
        where ordered_at < {CUT} limit 1000""")
    con.execute(f"""
        update marts.dim_customers set signed_up_at = signed_up_at + interval 400 day
        where signed_up_at >= {CUT}""")
    after = build_features(con, CUTOFF)
    assert after.names == before.names
    np.testing.assert_array_equal(after.customer_id, before.customer_id)
    np.testing.assert_array_equal(after.values, before.values)


def test_moving_a_row_before_the_cutoff_does_change_features(sim_con):
    before = build_features(sim_con, CUTOFF)
    sim_con.execute(
        f"update marts.fct_orders set ordered_at = {CUT} - interval 1 day "
        f"where order_id = (select min(order_id) from marts.fct_orders where is_purchase "
        f"and ordered_at < {CUT} - interval 30 day)"
    )
    after = build_features(sim_con, CUTOFF)
    assert not np.array_equal(np.nan_to_num(after.values), np.nan_to_num(before.values))


def test_labels_use_only_the_horizon_window(sim_con):
    ids, churned = build_labels(sim_con, CUTOFF, 90)
    np.testing.assert_array_equal(ids, build_features(sim_con, CUTOFF).customer_id)
    assert 0.2 < churned.mean() < 0.95
    sim_con.execute(
        "update marts.fct_orders set ordered_at = ordered_at + interval 400 day "
        f"where ordered_at >= {CUT} + interval 90 day"
    )
    np.testing.assert_array_equal(build_labels(sim_con, CUTOFF, 90)[1], churned)


def test_reads_only_cutoffs_and_horizon_dbt_built_and_says_how_to_fix(sim_con):
    names = build_features(sim_con, CUTOFF).names
    assert all(f"{e}_90d" in names and f"{e}_trend" in names for e in EVENT_TYPES), names
    built = r"2024-09-01 \(it has 2024-07-05, 2024-10-03, 2025-01-01\)"
    with pytest.raises(FeaturesNotBuiltError, match=f"has no cutoff {built}"):
        build_features(sim_con, date(2024, 9, 1))
    with pytest.raises(FeaturesNotBuiltError, match="churn_horizon_days=90, .* horizon_days=60"):
        build_labels(sim_con, CUTOFF, 60)
    sim_con.execute("drop view intermediate.int_churn_labels_by_cutoff")
    with pytest.raises(FeaturesNotBuiltError, match="labels_by_cutoff is missing: run `retention"):
        build_features(sim_con, CUTOFF)
