"""Posterior-predictive CLV intervals: coverage on a store with known truth, bounds >= 0,
impossible parameter draws rejected, degenerate fits not scored, the backtest recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ml.calibration import CalibrationSummary
from ml.clv_candidates import BTYD, fit_btyd
from ml.clv_intervals import bounds, parameter_draws, predictive_interval
from ml.clv_pipeline import build_clv_predictions
from retention.report import sections
from retention.report.labels import Money
from retention.report.model import Section

TRUE_BG = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 15.0}
WEEKS = 39.0


def simulate_bgnbd(n: int, seed: int, gg: dict[str, float] = TRUE_GG) -> CalibrationSummary:
    """BG/NBD + Gamma-Gamma customers observed for WEEKS weeks and followed WEEKS more: the
    holdout columns are what they really did."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BG["r"], 1 / TRUE_BG["alpha"], n)
    drop = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    nu = rng.gamma(gg["q"], 1 / gg["gamma"], n)
    x, t_x, spend, held, held_spend = (np.zeros(n) for _ in range(5))
    clock = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        alive &= rng.random(n) >= drop  # drop out after a purchase (the first included)
        clock[alive] += rng.exponential(1 / lam[alive])
        value = rng.gamma(gg["p"], 1 / nu)
        calibration = alive & (clock < WEEKS)
        holdout = alive & (clock >= WEEKS) & (clock < 2 * WEEKS)
        x[calibration] += 1
        t_x[calibration] = clock[calibration]
        spend[calibration] += value[calibration]
        held[holdout] += 1
        held_spend[holdout] += value[holdout]
        alive &= clock < 2 * WEEKS
    return CalibrationSummary(
        customer_id=np.arange(n).astype(str),
        frequency=x,
        recency=t_x,
        T=np.full(n, WEEKS),
        monetary=np.where(x > 0, spend / np.maximum(x, 1), np.nan),
        holdout_frequency=held,
        unit_days=7.0,
        holdout_amount=held_spend,
    )


def _interval(summary: CalibrationSummary, fit, draws: int = 200):
    return predictive_interval(
        fit.bg,
        fit.gg,
        summary,
        horizon_units=WEEKS,
        discount_ratio=np.ones(len(summary)),
        draws=draws,
        level=0.9,
        random_state=0,
    )


def test_90_percent_intervals_cover_85_to_95_percent_of_real_outcomes():
    summary = simulate_bgnbd(4000, seed=1)
    spread = _interval(summary, fit_btyd(summary))
    purchases = (summary.holdout_frequency >= spread.purchases_lower) & (
        summary.holdout_frequency <= spread.purchases_upper
    )
    spend = (summary.holdout_amount >= spread.spend_lower) & (
        summary.holdout_amount <= spread.spend_upper
    )
    assert 0.85 <= purchases.mean() <= 0.95
    assert 0.85 <= spend.mean() <= 0.95
    # some customers' outcomes fall outside on each side that can be missed
    assert (summary.holdout_amount > spread.spend_upper).any()


def test_bounds_hold_the_level_when_zero_is_likely():
    draws = np.zeros((200, 1))
    draws[-30:, 0] = np.arange(1, 31)  # P(0) = 0.85: the lower end 0 holds 85% alone
    lower, upper = bounds(draws, 0.9)
    assert lower[0] == 0 and upper[0] == 10  # 180 of 200 draws in [0, 10], not [0, 19]


def test_impossible_draws_are_rejected_and_bounds_are_never_negative():
    summary = simulate_bgnbd(600, seed=2, gg={"p": 2.0, "q": 1.15, "gamma": 5.0})
    fit = fit_btyd(summary)
    theta, note, rejected = parameter_draws(fit.bg, fit.gg, summary, 200, np.random.default_rng(0))
    assert "parameter" in note and rejected > 0  # q <= 1 draws occurred and were dropped
    assert np.all(theta[:, 5] > 1.0) and theta.shape == (200, 7)
    spread = _interval(summary, fit, draws=100)
    for values in (spread.spend_lower, spread.purchases_lower):
        assert np.all(values >= 0)


def test_degenerate_fit_scores_nobody(sim_con):
    # every purchase occasion (customer-day) spends exactly 25: Gamma-Gamma has nothing to learn
    sim_con.execute(
        """update marts.fct_orders o set net_revenue = 25.0 / d.n
           from (select customer_id, cast(ordered_at as date) as day, count(*) as n
                 from marts.fct_orders where is_purchase group by all) d
           where d.customer_id = o.customer_id and d.day = cast(o.ordered_at as date)"""
    )
    result = build_clv_predictions(sim_con)
    assert result.status == "degenerate" and result.rows_scored == 0
    assert result.degenerate and all(r.startswith("Gamma-Gamma") for r in result.degenerate)
    rows = sim_con.execute(
        "select count(*), count(predicted_clv_365d), min(score_reason) from ml.clv_predictions"
    ).fetchall()[0]
    assert rows[0] > 0 and rows[1] == 0 and rows[2].startswith("degenerate_fit: Gamma-Gamma")


def test_backtest_is_recorded_and_intervals_are_predictive(sim_con):
    result = build_clv_predictions(sim_con)
    assert result.status == "scored"
    metrics = json.loads(sim_con.execute("select metrics from ml.clv_model_runs").fetchall()[0][0])
    backtest = metrics["backtest"]
    assert backtest["status"] == "evaluated", backtest
    assert set(backtest["candidates"]) == {BTYD, "rfm_regression", "naive_past_spend"}
    chosen = backtest["candidates"][metrics["chosen_model"]]
    ci = metrics["top_decile_capture_interval"]
    assert ci["lower"] <= metrics["top_decile_capture"] <= ci["upper"]
    assert metrics["top_decile_capture"] == chosen["top_decile_capture"]
    assert metrics["backtest_bias"] == chosen["bias"] and chosen["mae"] > 0
    coverage = backtest["candidates"][BTYD]["spend_interval"]["coverage"]
    assert 0.8 <= coverage <= 0.97
    rows = sim_con.execute(
        """select count(*), count(*) filter (where predicted_clv_365d_lower >= 0
                                             and purchases_365d_lower >= 0
                                             and predicted_clv_365d_upper
                                                 >= predicted_clv_365d_lower),
                  count(*) filter (where predicted_clv_365d_lower = 0)
           from ml.clv_predictions where score_reason in ('scored', 'one_order_only')"""
    ).fetchall()[0]
    assert rows[0] > 0 and rows[1] == rows[0]
    assert rows[2] > 0  # many customers may well buy nothing: the interval says so

    # the report's CLV section shows the backtest (capture with its interval, bias, coverage)
    sim_con.execute(
        "create table marts.customer_ltv as select customer_id, predicted_clv_365d, "
        "'high' as clv_tier from ml.clv_predictions"
    )
    section = Section("clv", "CLV", "")
    sections.clv(sim_con, section, Money("USD"))
    shown = dict(section.stats)
    assert shown["top 10% by predicted CLV brought"].startswith(
        f"{metrics['top_decile_capture']:.1%} of the backtest's revenue (CI {ci['lower']:.1%}"
    )
    assert shown["90% CLV intervals held"] == f"{coverage:.1%} of customers' real spend"
    assert any(note.startswith("Backtest: the models were fitted") for note in section.notes)
    assert section.tables[-1].frame["model"].str.endswith("(used)").sum() == 1


@pytest.mark.parametrize("limit, warned", [(0.001, True), (10.0, False)])
def test_bias_beyond_the_limit_warns(limit, warned):
    from ml.clv_backtest import bias_warnings
    from ml.config import ClvConfig

    warnings = bias_warnings({"bias": -0.156}, ClvConfig(max_abs_bias=limit))
    assert bool(warnings) is warned
    if warned:
        assert "15.6% under actual" in warnings[0]


def test_fit_reproduces_the_published_cdnow_parameters(cdnow_con):
    from datetime import date

    from ml.calibration import calibration_summary

    summary = calibration_summary(
        cdnow_con, cutoff=date(1997, 10, 1), source_sql="select * from cdnow", unit_days=7.0
    )
    fit = fit_btyd(summary)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit.bg, name) == pytest.approx(value, abs=1e-3)  # as published
    assert fit.gg.q == pytest.approx(3.74, abs=0.01)


def test_alternative_candidates_predict_every_customer(cdnow_con):
    from datetime import date

    from ml.calibration import calibration_summary
    from ml.clv_candidates import past_spend, regression_spend

    cutoff, source = date(1997, 10, 1), "select * from cdnow"
    summary = calibration_summary(cdnow_con, cutoff=cutoff, source_sql=source, unit_days=7.0)
    naive = past_spend(cdnow_con, summary.customer_id, cutoff, 90, source)
    first = summary.customer_id[0]
    by_hand = cdnow_con.execute(
        "select coalesce(sum(amount), 0) from cdnow where customer_id = ? "
        "and purchase_date >= date '1997-07-03' and purchase_date < date '1997-10-01'",
        [first],
    ).fetchall()[0][0]
    assert naive[0] == pytest.approx(by_hand)
    spend = regression_spend(cdnow_con, summary, cutoff, 273, history_days=273, source_sql=source)
    assert spend.shape == (len(summary),) and np.all(spend > 0)
    # more repeat purchases, more predicted spend (the regression learnt the obvious)
    assert spend[summary.frequency >= 5].mean() > 3 * spend[summary.frequency == 0].mean()
