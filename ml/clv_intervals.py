"""Posterior-predictive intervals of a customer's purchases and spend over a horizon.

What a marketer bets on is what one customer will actually do, not where the model's mean
lies, so each draw simulates that customer's future from the fitted models:

1. Parameters: a draw from the maximum-likelihood estimates' asymptotic normal (log space,
   covariance = inverse Hessian by central differences of the analytic gradients). Draws that
   describe an impossible store are rejected: Gamma-Gamma q <= 1 (the population mean spend is
   infinite) or non-finite values. With a flat likelihood the fitted values are used alone.
2. Alive or dead: Bernoulli(P(alive | x, t_x, T)) under the drawn parameters.
3. An alive customer's purchase rate lambda ~ Gamma(r + x, alpha + T) and dropout probability
   p ~ Beta(a, b + x) (the posterior given x, t_x, T and being alive); purchases in the horizon
   are min(Poisson(lambda t), K) with K ~ Geometric(p) the purchases left before dropping out.
4. Spend: the customer's transaction-value rate nu ~ Gamma(q + p x, gamma + m_x x); n
   purchases spend Gamma(n p, nu) in total.

Percentiles over the draws give the interval; both ends are >= 0 by construction (and floored
there). CLV draws are scaled by the customer's discounted / undiscounted expected purchases.
Per-customer bounds do not add up to bounds of the total; `total_spend` is the interval of the
sum over customers of each draw (customers' futures are independent given the parameters, so
it is narrow and mostly reflects parameter uncertainty).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ml import bgnbd, gamma_gamma
from ml.bgnbd import BgNbdParams
from ml.calibration import CalibrationSummary, collapse
from ml.gamma_gamma import GammaGammaParams

STEP = 1e-4
#: Customer x draw cells simulated at once (bounds memory on large stores).
CELLS_PER_CHUNK = 2_000_000


@dataclass(frozen=True)
class PredictiveInterval:
    """Per-customer interval of purchases and of (discounted) spend over the horizon."""

    purchases_lower: np.ndarray
    purchases_upper: np.ndarray
    spend_lower: np.ndarray
    spend_upper: np.ndarray
    level: float
    note: str
    rejected_draws: int
    total_spend: tuple[float, float] = (float("nan"), float("nan"))


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


def _bgnbd_gradient(summary: CalibrationSummary) -> Callable[[np.ndarray], np.ndarray]:
    frequency, recency, age, weights = collapse(summary)

    def gradient(theta: np.ndarray) -> np.ndarray:
        _, grad = bgnbd.log_likelihood_terms(theta, frequency, recency, age)
        return -(grad @ weights)

    return gradient


def _gamma_gamma_gradient(summary: CalibrationSummary) -> Callable[[np.ndarray], np.ndarray]:
    keep = (summary.frequency > 0) & (summary.monetary > 0) & np.isfinite(summary.monetary)
    x, m = summary.frequency[keep], summary.monetary[keep]

    def gradient(theta: np.ndarray) -> np.ndarray:
        _, grad = gamma_gamma.log_likelihood_terms(theta, x, m)
        return -grad.sum(axis=1)

    return gradient


def parameter_draws(
    bg: BgNbdParams, gg: GammaGammaParams, summary: CalibrationSummary, draws: int, rng
) -> tuple[np.ndarray, str, int]:
    """`draws` rows of (r, alpha, a, b, p, q, gamma): possible parameter sets only; the note
    says whether parameter uncertainty is included; the count of rejected draws."""
    fitted = np.array([bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma])
    try:
        bg_cov = covariance(_bgnbd_gradient(summary), np.log(fitted[:4]))
        gg_cov = covariance(_gamma_gamma_gradient(summary), np.log(fitted[4:]))
    except np.linalg.LinAlgError:
        return np.tile(fitted, (draws, 1)), "fitted parameters only (flat likelihood)", 0
    candidates = np.exp(
        np.hstack(
            [
                rng.multivariate_normal(np.log(fitted[:4]), bg_cov, 4 * draws),
                rng.multivariate_normal(np.log(fitted[4:]), gg_cov, 4 * draws),
            ]
        )
    )
    possible = np.all(np.isfinite(candidates), axis=1) & (candidates[:, 5] > 1.0)
    kept = candidates[possible][:draws]
    if kept.shape[0] < draws:  # mostly impossible draws: the fit itself is too uncertain
        return np.tile(fitted, (draws, 1)), "fitted parameters only (draws impossible)", 0
    rejected = int(np.argmax(np.cumsum(possible) == draws)) + 1 - draws
    return kept, "parameter and outcome uncertainty", rejected


def _simulate(theta: np.ndarray, x, t_x, big_t, m, horizon: float, rng) -> tuple:
    """Purchases and spend draws (draws x customers) for one chunk of customers."""
    r, alpha, a, b, p, q, g = (theta[:, [k]] for k in range(7))
    repeat = x > 0
    log_odds = np.where(
        repeat,
        np.log(a)
        - np.log(np.where(repeat, b + x - 1.0, 1.0))
        + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x)),
        -np.inf,
    )
    shape = (theta.shape[0], x.size)
    alive = rng.random(shape) < expit(-log_odds)
    rate = rng.gamma(r + x, 1.0 / (alpha + big_t))
    dropout = np.clip(rng.beta(a, b + x), 1e-12, 1.0)
    left = rng.geometric(dropout)
    purchases = np.where(alive, np.minimum(rng.poisson(rate * horizon), left), 0)
    mx = np.where(repeat & (m > 0), m * x, 0.0)
    nu = rng.gamma(q + p * np.where(mx > 0, x, 0.0), 1.0 / (g + mx))
    spend = rng.gamma(np.maximum(purchases * p, 1e-300), 1.0 / nu) * (purchases > 0)
    return purchases, spend


def bounds(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column of `samples` (draws x customers): lower = the (1 - level)/2 quantile, upper =
    the smallest draw with at least `level` of the draws in [lower, upper].

    Many customers buy nothing with probability > (1 - level)/2, so their lower end is 0 and
    holds more than the tail's share; a plain (1 - level)/2..(1 + level)/2 interval would then
    cover more than `level` (the outcome is discrete at 0). Shortening the upper end keeps the
    content at `level` (inverted-CDF quantiles, no interpolation between draws).
    """
    ordered = np.sort(samples, axis=0)
    draws = ordered.shape[0]
    columns = np.arange(ordered.shape[1])
    lower = ordered[max(0, int(np.ceil((1.0 - level) / 2.0 * draws)) - 1)]
    below = (ordered < lower).sum(axis=0)
    top = np.minimum(np.ceil(level * draws).astype(int) + below - 1, draws - 1)
    return lower, ordered[top, columns]


def predictive_interval(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    summary: CalibrationSummary,
    *,
    horizon_units: float,
    discount_ratio: np.ndarray,
    draws: int,
    level: float,
    random_state: int,
) -> PredictiveInterval:
    """Posterior-predictive `level` interval of purchases and spend (see module doc) of every
    customer in `summary` over `horizon_units` time units; spend is scaled by
    `discount_ratio` (1 for undiscounted)."""
    rng = np.random.default_rng(random_state)
    theta, note, rejected = parameter_draws(bg, gg, summary, draws, rng)
    n = len(summary)
    out = {key: np.empty(n) for key in ("pl", "pu", "sl", "su")}
    monetary = np.nan_to_num(summary.monetary, nan=0.0)
    ratio = np.clip(np.nan_to_num(discount_ratio, nan=1.0), 0.0, None)
    totals = np.zeros(theta.shape[0])
    step = max(1, CELLS_PER_CHUNK // draws)
    for start in range(0, n, step):
        part = slice(start, min(n, start + step))
        purchases, spend = _simulate(
            theta,
            summary.frequency[part],
            summary.recency[part],
            summary.T[part],
            monetary[part],
            horizon_units,
            rng,
        )
        out["pl"][part], out["pu"][part] = bounds(purchases, level)
        out["sl"][part], out["su"][part] = bounds(spend, level)
        totals += spend @ ratio[part]
    tail = (1.0 - level) / 2.0 * 100.0
    total_low, total_high = np.percentile(totals, [tail, 100.0 - tail])
    return PredictiveInterval(
        purchases_lower=np.maximum(out["pl"], 0.0),
        purchases_upper=np.maximum(out["pu"], 0.0),
        spend_lower=np.maximum(out["sl"] * ratio, 0.0),
        spend_upper=np.maximum(out["su"] * ratio, 0.0),
        level=level,
        note=f"posterior predictive: {note}, {draws} draws",
        rejected_draws=rejected,
        total_spend=(float(total_low), float(total_high)),
    )
