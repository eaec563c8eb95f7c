"""Degenerate fits are flagged, a = 1 is finite, P(no purchase) matches simulation, and the
CLV below minimums is not fitted."""

from __future__ import annotations

import numpy as np
import pytest

from ml.bgnbd import BgNbdParams, expected_purchases, fit_bgnbd, p_no_purchase
from ml.clv_pipeline import build_clv_predictions
from ml.config import ClvConfig, DataMinimums
from ml.gamma_gamma import fit_gamma_gamma


def _params(a: float) -> BgNbdParams:
    return BgNbdParams(0.24, 4.4, a, 2.4, 0.0, "weeks", 10, True)


def test_expected_purchases_is_finite_and_continuous_at_a_equal_one():
    x, t_x, big_t = np.array([0.0, 2, 5]), np.array([0.0, 20, 30]), np.array([38.0, 38, 38])
    at_one = expected_purchases(_params(1.0), 52, x, t_x, big_t)
    near = [expected_purchases(_params(1.0 + d), 52, x, t_x, big_t) for d in (-1e-3, 1e-3)]
    assert np.all(np.isfinite(at_one))
    np.testing.assert_allclose(at_one, (near[0] + near[1]) / 2, rtol=1e-5)
    tiny = expected_purchases(_params(1.0 + 1e-12), 52, x, t_x, big_t)
    np.testing.assert_allclose(tiny, at_one, rtol=1e-7)


def test_p_no_purchase_matches_a_bgnbd_simulation():
    rng = np.random.default_rng(3)
    params = BgNbdParams(0.8, 3.0, 0.7, 2.5, 0.0, "weeks", 1, True)
    n, big_t, horizon = 200_000, 30.0, 12.0
    lam = rng.gamma(params.r, 1 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    alive = np.ones(n, dtype=bool)
    clock = np.zeros(n)
    bought_later = np.zeros(n, dtype=bool)
    while alive.any():
        clock[alive] += rng.exponential(1 / lam[alive])
        in_window = alive & (clock < big_t)
        x[in_window] += 1
        t_x[in_window] = clock[in_window]
        bought_later |= alive & (clock >= big_t) & (clock < big_t + horizon)
        alive &= clock < big_t
        alive &= rng.random(n) >= p  # drop out after a purchase
    for group in (0, 1, 3):
        members = x == group
        predicted = p_no_purchase(params, horizon, x[members], t_x[members], big_t)
        assert predicted.mean() == pytest.approx(1 - bought_later[members].mean(), abs=0.01)


def test_bgnbd_without_dropout_evidence_is_flagged_degenerate():
    # everyone buys steadily to the end: dropout cannot be identified, a/b run to a bound
    frequency = np.repeat(np.arange(2.0, 12.0), 30)
    age = np.full(frequency.size, 40.0)
    fit = fit_bgnbd(frequency, age - 0.01, age)
    assert fit.degenerate and not fit.converged
    assert any("bound" in reason for reason in fit.degenerate)


def test_gamma_gamma_with_identical_spend_is_flagged_degenerate():
    rng = np.random.default_rng(0)
    frequency = rng.integers(1, 6, 400).astype(float)
    monetary = np.full(400, 25.0) + rng.normal(0, 1e-3, 400)
    fit = fit_gamma_gamma(frequency, monetary)
    assert not fit.converged
    assert any(reason.startswith("q=") for reason in fit.degenerate), fit.degenerate


def test_clv_below_minimums_writes_reasons_not_predictions(sim_con):
    config = ClvConfig(minimums=DataMinimums(min_buyers=1_000_000))
    result = build_clv_predictions(sim_con, config=config)
    assert result.status == "not_fitted" and result.rows_scored == 0
    rows = sim_con.execute(
        "select count(*), count(predicted_clv_365d), min(score_reason), max(score_reason) "
        "from ml.clv_predictions"
    ).fetchall()[0]
    assert rows[0] > 0 and rows[1] == 0
    assert rows[2] == rows[3] and rows[2].startswith("insufficient_buyers: have ")
    assert rows[2].endswith("need 1000000")
