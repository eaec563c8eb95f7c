"""BG/NBD and Gamma-Gamma: published CDNOW results, holdout checks, stability, gradients."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy.optimize import check_grad

from ml import bgnbd
from ml.bgnbd import expected_purchases, fit_bgnbd, p_alive
from ml.calibration import calibration_summary, collapse
from ml.errors import TooFewCustomersError
from ml.gamma_gamma import expected_spend, fit_gamma_gamma

CALIBRATION_END = date(1997, 10, 1)  # exclusive: calibration 1997-01-01..1997-09-30
HOLDOUT_END = date(1998, 7, 1)


def _cdnow_summary(con):
    return calibration_summary(
        con,
        cutoff=CALIBRATION_END,
        source_sql="select * from cdnow",
        holdout_end=HOLDOUT_END,
        unit_days=7,
    )


def test_cdnow_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_con):
    summary = _cdnow_summary(cdnow_con)
    assert len(summary) == 2357
    frequency, recency, age, weights = collapse(summary)
    params = fit_bgnbd(frequency, recency, age, weights=weights, time_unit="weeks")
    got = [params.r, params.alpha, params.a, params.b]
    for value, published in zip(got, [0.243, 4.414, 0.793, 2.426], strict=True):
        assert f"{value:.3g}" == f"{published:.3g}"
    assert params.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    unweighted = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    assert unweighted.log_likelihood == pytest.approx(params.log_likelihood, abs=1e-6)


def test_cdnow_gamma_gamma_reproduces_published_parameters(cdnow_con):
    summary = _cdnow_summary(cdnow_con)
    params = fit_gamma_gamma(summary.frequency, summary.monetary)
    assert params.n_customers == 946
    assert round(params.p, 2) == 6.25
    assert round(params.q, 2) == 3.74
    assert round(params.gamma, 2) == 15.44


def test_cdnow_holdout_conditional_expectations_per_frequency_group(cdnow_con):
    summary = _cdnow_summary(cdnow_con)
    params = fit_bgnbd(summary.frequency, summary.recency, summary.T, time_unit="weeks")
    predicted = expected_purchases(params, 39, summary.frequency, summary.recency, summary.T)
    groups = np.minimum(summary.frequency, 7)
    for group in range(8):
        members = groups == group
        actual = summary.holdout_frequency[members].mean()
        # Real data: Fader et al.'s Figure 5 shows the same under-prediction for x = 1, 2.
        assert abs(predicted[members].mean() - actual) < 0.3 * max(actual, 1.0), group


def _simulate_bgnbd(n, r, alpha, a, b, calibration, holdout, rng):
    """Draw BG/NBD customers all starting at 0; return (x, t_x, T, holdout purchases)."""
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    end = calibration + holdout
    while alive.any():
        now = now + rng.exponential(1 / lam)
        alive &= now < end
        in_calibration = alive & (now < calibration)
        x[in_calibration] += 1
        t_x[in_calibration] = now[in_calibration]
        future[alive & (now >= calibration)] += 1
        alive &= rng.random(n) >= drop
    return x, t_x, np.full(n, float(calibration)), future


def test_holdout_predictions_match_simulated_purchases():
    rng = np.random.default_rng(7)
    x, t_x, T, future = _simulate_bgnbd(20000, 0.5, 6.0, 0.8, 2.5, 52, 52, rng)
    params = fit_bgnbd(x, t_x, T)
    assert params.r == pytest.approx(0.5, rel=0.15)
    assert params.a == pytest.approx(0.8, rel=0.3)
    predicted = expected_purchases(params, 52, x, t_x, T)
    groups = np.minimum(x, 6)
    for group in range(7):
        members = groups == group
        assert abs(predicted[members].mean() - future[members].mean()) < 0.1 * max(
            future[members].mean(), 1.0
        ), group


def test_large_frequency_is_stable():
    x = np.array([0.0, 1, 5, 400, 2000])
    t_x = np.array([0.0, 10, 30, 99, 99.9])
    T = np.full(5, 100.0)
    params = fit_bgnbd(x, t_x, T)
    for values in (p_alive(params, x, t_x, T), expected_purchases(params, 10, x, t_x, T)):
        assert np.all(np.isfinite(values))
    assert expected_purchases(params, 10, x, t_x, T)[-1] > 100


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 30, 200).astype(float)
    T = rng.uniform(10, 60, 200)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 200), 0.0)
    theta = np.log([0.4, 5.0, 0.7, 2.0])

    def value(th):
        return bgnbd.log_likelihood_terms(th, x, t_x, T)[0].sum()

    def grad(th):
        return bgnbd.log_likelihood_terms(th, x, t_x, T)[1].sum(axis=1)

    assert check_grad(value, grad, theta) < 1e-4 * np.abs(grad(theta)).max()


def test_expected_spend_blends_population_mean_and_customer_mean():
    params = fit_gamma_gamma(np.array([1.0, 2, 3, 5, 8]), np.array([20.0, 35, 50, 22, 41]))
    spend = expected_spend(params, np.array([0.0, 50]), np.array([np.nan, 100.0]))
    assert spend[0] == pytest.approx(params.population_mean_spend)
    assert 90 < spend[1] < 100


def test_one_customer_cannot_be_fitted():
    with pytest.raises(TooFewCustomersError, match="at least 2 customers"):
        fit_bgnbd(np.array([2.0]), np.array([5.0]), np.array([9.0]))
    with pytest.raises(TooFewCustomersError, match="repeat buyers"):
        fit_gamma_gamma(np.array([0.0, 3.0]), np.array([np.nan, 10.0]))


def test_degenerate_dropout_still_gives_finite_expectations() -> None:
    """Every customer with the same dropout chance pushes a, b to their cap, never to NaN."""
    rng = np.random.default_rng(3)
    n, horizon = 400, 700.0
    lam = rng.gamma(2.0, 1 / 60.0, n)
    frequency, recency = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > horizon:
                break
            frequency[i] += 1
            recency[i] = t
            if rng.random() < 0.2:  # the same p for everyone: Beta(a, b) degenerates
                break
    params = fit_bgnbd(frequency, recency, np.full(n, horizon))
    expected = expected_purchases(params, 365.0, frequency, recency, np.full(n, horizon))
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert params.a <= 1_000.0 and params.b <= 1_000.0
