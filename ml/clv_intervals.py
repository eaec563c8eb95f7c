"""Intervals on predicted CLV from the uncertainty of the fitted parameters.

The maximum-likelihood estimates are asymptotically normal in log-parameter space with
covariance = inverse Hessian of the negative log-likelihood (computed by central differences
of the analytic gradients). Parameter sets drawn from that normal give a distribution of each
customer's CLV; its percentiles are the interval. The interval covers parameter uncertainty
only (how well the store's history pins the model down), not the randomness of one customer's
future purchases. Each draw rescales the discounted expectation by the draw's 365-day
expectation relative to the fitted one, so a draw costs one 2F1 evaluation per customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ml import bgnbd, gamma_gamma
from ml.bgnbd import BgNbdParams, expected_purchases
from ml.gamma_gamma import GammaGammaParams, expected_spend
from ml.rfm import RfmSummary, collapse

STEP = 1e-4


@dataclass(frozen=True)
class ClvInterval:
    """Per-customer lower/upper CLV (NaN when unavailable) and why it may be unavailable."""

    lower: np.ndarray
    upper: np.ndarray
    level: float
    note: str


def covariance(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Inverse of the Hessian of a total negative log-likelihood whose gradient is given;
    raises LinAlgError when the Hessian is not positive definite (a flat, degenerate fit)."""
    k = theta.size
    hessian = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = STEP
        hessian[:, j] = (gradient(theta + step) - gradient(theta - step)) / (2 * STEP)
    hessian = (hessian + hessian.T) / 2
    np.linalg.cholesky(hessian)
    return np.linalg.inv(hessian)


def _bgnbd_gradient(summary: RfmSummary) -> Callable[[np.ndarray], np.ndarray]:
    frequency, recency, age, weights = collapse(summary)

    def gradient(theta: np.ndarray) -> np.ndarray:
        _, grad = bgnbd.log_likelihood_terms(theta, frequency, recency, age)
        return -(grad @ weights)

    return gradient


def _gamma_gamma_gradient(summary: RfmSummary) -> Callable[[np.ndarray], np.ndarray]:
    keep = (summary.frequency > 0) & (summary.monetary > 0) & np.isfinite(summary.monetary)
    x, m = summary.frequency[keep], summary.monetary[keep]

    def gradient(theta: np.ndarray) -> np.ndarray:
        _, grad = gamma_gamma.log_likelihood_terms(theta, x, m)
        return -grad.sum(axis=1)

    return gradient


def clv_interval(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    summary: RfmSummary,
    discounted: np.ndarray,
    *,
    draws: int,
    level: float,
    random_state: int,
    unit_days: float,
) -> ClvInterval:
    """Percentile interval of predicted CLV over `draws` parameter sets (see module doc)."""
    nan = np.full(len(summary), np.nan)
    if bg.degenerate or gg.degenerate:
        return ClvInterval(nan, nan, level, "unavailable: the fit is degenerate")
    bg_theta = np.log([bg.r, bg.alpha, bg.a, bg.b])
    gg_theta = np.log([gg.p, gg.q, gg.gamma])
    try:
        bg_cov = covariance(_bgnbd_gradient(summary), bg_theta)
        gg_cov = covariance(_gamma_gamma_gradient(summary), gg_theta)
    except np.linalg.LinAlgError:
        return ClvInterval(nan, nan, level, "unavailable: the likelihood is flat at the fit")
    rng = np.random.default_rng(random_state)
    horizon = 365 / unit_days
    args = (summary.frequency, summary.recency, summary.T)
    fitted = expected_purchases(bg, horizon, *args)
    ratio_base = np.where(fitted > 0, discounted / np.where(fitted > 0, fitted, 1.0), 0.0)
    samples = np.empty((draws, len(summary)))
    for k, (b, g) in enumerate(
        zip(
            rng.multivariate_normal(bg_theta, bg_cov, draws),
            rng.multivariate_normal(gg_theta, gg_cov, draws),
            strict=True,
        )
    ):
        r, alpha, a, beta = np.exp(b)
        p, q, gamma = np.exp(g)
        bg_draw = replace(bg, r=r, alpha=alpha, a=a, b=beta)
        gg_draw = replace(gg, p=p, q=q, gamma=gamma)
        purchases = expected_purchases(bg_draw, horizon, *args) * ratio_base
        samples[k] = expected_spend(gg_draw, summary.frequency, summary.monetary) * purchases
    tail = (1 - level) / 2 * 100
    lower, upper = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    return ClvInterval(lower, upper, level, f"parameter uncertainty, {draws} draws")
