"""CLV build on a simulated store: explicit values and reasons, run records, discounting."""

from __future__ import annotations

import json

import pytest

from ml.clv_pipeline import build_clv_predictions
from ml.config import ClvConfig


def test_clv_predictions_have_values_or_reasons(sim_con):
    sim_con.execute("insert into marts.dim_customers values ('NO-ORDERS', now())")
    result = build_clv_predictions(sim_con)
    assert result.reasons["no_orders"] >= 1
    assert result.reasons["one_order_only"] > 0 and result.reasons["scored"] > 0
    by_reason = {
        row[0]: row[1:]
        for row in sim_con.execute(
            """select score_reason, count(*), count(p_alive), min(expected_purchases_365d),
                      count(expected_avg_order_value), min(predicted_clv_365d),
                      max(expected_purchases_90d > expected_purchases_365d)
               from ml.clv_predictions group by 1"""
        ).fetchall()
    }
    total, p_alive, min_365, aov, min_clv, bad_order = by_reason["no_orders"]
    assert p_alive == 0 and aov == 0 and min_365 == 0 and min_clv == 0
    for reason in ("scored", "one_order_only"):
        total, p_alive, min_365, aov, min_clv, bad_order = by_reason[reason]
        assert p_alive == total and aov == total and min_clv > 0 and not bad_order
    run = sim_con.execute("select run_id, parameters, metrics from ml.clv_model_runs").fetchall()
    assert len(run) == 1 and run[0][0] == result.run_id
    parameters = json.loads(run[0][1])
    assert parameters["time_unit"] == "weeks"
    assert set(parameters["bgnbd"]) >= {"r", "alpha", "a", "b", "log_likelihood"}
    assert json.loads(run[0][2])["bgnbd_log_likelihood"] < 0


def test_discounting_lowers_clv(sim_con):
    build_clv_predictions(sim_con, config=ClvConfig(annual_discount_rate=0.0))
    undiscounted = sim_con.execute("select sum(predicted_clv_365d) from ml.clv_predictions")
    undiscounted = undiscounted.fetchall()[0][0]
    check = sim_con.execute(
        "select sum(expected_purchases_365d * expected_avg_order_value) from ml.clv_predictions"
    ).fetchall()[0][0]
    assert undiscounted == pytest.approx(check, rel=1e-9)
    build_clv_predictions(sim_con, config=ClvConfig(annual_discount_rate=0.2))
    discounted = sim_con.execute("select sum(predicted_clv_365d) from ml.clv_predictions")
    assert discounted.fetchall()[0][0] < 0.95 * undiscounted
    assert sim_con.execute("select count(*) from ml.clv_model_runs").fetchall()[0][0] == 2
