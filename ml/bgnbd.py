"""BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum likelihood in log space.

Inputs are per-customer RFM summaries: `frequency` x (repeat purchase occasions), `recency`
t_x (time of last purchase since the first) and `T` (time since the first purchase), all in
one time unit. Identical (x, t_x, T) rows can be collapsed into `weights` for speed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1, psi

from ml.errors import FitFailedError, TooFewCustomersError


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters; `alpha` is in `time_unit`."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    time_unit: str
    n_customers: int
    converged: bool
    degenerate: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float | str | int | bool]:
        """Plain dict for JSON run records."""
        return asdict(self)


def _as_arrays(
    frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    big_t = np.asarray(T, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return x, t_x, big_t, w


def log_likelihood_terms(
    log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient w.r.t. (log r, log alpha, log a, log b).

    The gamma-function terms depend on x only, so they are computed once per distinct x.
    """
    xs, index = np.unique(x, return_inverse=True)
    return _terms(log_params, xs, index.ravel(), x, t_x, big_t)


def _terms(
    log_params: np.ndarray,
    xs: np.ndarray,
    index: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    r, alpha, a, b = np.exp(log_params)
    x_terms = np.stack(
        [
            gammaln(r + xs)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs),
            psi(r + xs) - psi(r),
            psi(a + b) - psi(a + b + xs),
            psi(b + xs) - psi(b),
        ]
    )[:, index]
    log_alpha_t = np.log(alpha + big_t)
    log_alpha_tx = np.log(alpha + t_x)
    a3 = -(r + x) * log_alpha_t
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1.0, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_alpha_tx, -np.inf)
    tail = np.logaddexp(a3, a4)
    ll = x_terms[0] + r * np.log(alpha) + tail
    w4 = np.exp(a4 - tail)
    w3 = 1.0 - w4
    d_r = x_terms[1] + np.log(alpha) - w3 * log_alpha_t - w4 * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + big_t) + w4 / (alpha + t_x))
    d_a = x_terms[2] + w4 / a
    d_b = x_terms[2] + x_terms[3] - w4 / bx1
    grad = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return ll, grad


MAX_BETA_PARAMETER = 1_000.0
LOG_BOUND = 15.0
#: Within this distance (log scale) of a bound a parameter counts as stuck on it.
BOUND_TOLERANCE = 0.01
#: L-BFGS-B stopping rule: scipy's default ftol (2.2e-9 of a mean log-likelihood) stops early
#: enough on large stores to lose the third significant figure of `a`.
OPTIMISER_OPTIONS = {"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000}
#: Within this distance of a = 1 expected purchases use the limit (the formula is 0/0 there).
A_NEAR_ONE = 1e-4


def degenerate_reasons(
    values: dict[str, float], bounds: dict[str, tuple[float, float]]
) -> list[str]:
    """`<name>=<value> at the lower/upper bound` for every parameter stuck on its bound."""
    reasons = []
    for name, value in values.items():
        low, high = bounds[name]
        log_value = np.log(value)
        if log_value <= low + BOUND_TOLERANCE:
            reasons.append(f"{name}={value:.4g} at the lower bound {np.exp(low):.3g}")
        elif log_value >= high - BOUND_TOLERANCE:
            reasons.append(f"{name}={value:.4g} at the upper bound {np.exp(high):.3g}")
    return reasons


def fit_bgnbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    time_unit: str = "days",
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD fit (L-BFGS on log parameters with the analytic gradient)."""
    x, t_x, big_t, w = _as_arrays(frequency, recency, T, weights)
    n_customers = int(w.sum())
    if n_customers < 2:
        raise TooFewCustomersError(
            f"BG/NBD needs purchase histories of at least 2 customers, got {n_customers}: "
            "load more orders before fitting CLV."
        )
    total = w.sum()
    xs, index = np.unique(x, return_inverse=True)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = _terms(theta, xs, index.ravel(), x, t_x, big_t)
        return -float(w @ ll) / total, -(grad @ w) / total

    scale = max(float(np.average(big_t, weights=w)), 1e-6)
    start = np.log([1.0, scale / 10.0, 1.0, 1.0])
    # a and b are capped at MAX_BETA_PARAMETER: beyond it the dropout Beta is a point mass in
    # all but name, the likelihood is flat, and 2F1 in the conditional expectation overflows
    beta_bound = (-LOG_BOUND, float(np.log(MAX_BETA_PARAMETER)))
    bounds = [(-LOG_BOUND, LOG_BOUND), (-LOG_BOUND, LOG_BOUND), beta_bound, beta_bound]
    result = minimize(
        objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=OPTIMISER_OPTIONS
    )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitFailedError(f"BG/NBD fit did not reach finite parameters: {result.message}")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    degenerate = degenerate_reasons(
        {"r": r, "alpha": alpha, "a": a, "b": b},
        dict(zip(["r", "alpha", "a", "b"], bounds, strict=True)),
    )
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-float(result.fun) * float(total),
        time_unit=time_unit,
        n_customers=n_customers,
        converged=bool(result.success) and not degenerate,
        degenerate=tuple(degenerate),
    )


def p_alive(params: BgNbdParams, frequency, recency, T) -> np.ndarray:
    """P(customer still active | x, t_x, T); 1 for customers without repeat purchases."""
    x, t_x, big_t, _ = _as_arrays(frequency, recency, T, None)
    repeat = x > 0
    log_odds = np.where(
        repeat,
        np.log(params.a)
        - np.log(np.where(repeat, params.b + x - 1.0, 1.0))
        + (params.r + x) * (np.log(params.alpha + big_t) - np.log(params.alpha + t_x)),
        -np.inf,
    )
    return expit(-log_odds)


def expected_purchases(params: BgNbdParams, t: float, frequency, recency, T) -> np.ndarray:
    """E[purchases in the next `t` time units | x, t_x, T] (conditional expectation).

    Uses the Euler transform of 2F1 so the hypergeometric term stays bounded for large x.
    At a = 1 the formula is 0/0; within A_NEAR_ONE of it the value is interpolated between
    a = 1 - A_NEAR_ONE and a = 1 + A_NEAR_ONE (smooth in a, so the error is O(A_NEAR_ONE^2)).
    """
    x, t_x, big_t, _ = _as_arrays(frequency, recency, T, None)
    if t <= 0:
        return np.zeros_like(x)
    if abs(params.a - 1.0) < A_NEAR_ONE:
        below = _expected(replace(params, a=1.0 - A_NEAR_ONE), t, x, t_x, big_t)
        above = _expected(replace(params, a=1.0 + A_NEAR_ONE), t, x, t_x, big_t)
        weight = (params.a - (1.0 - A_NEAR_ONE)) / (2.0 * A_NEAR_ONE)
        return (1.0 - weight) * below + weight * above
    return _expected(params, t, x, t_x, big_t)


def _expected(
    params: BgNbdParams, t: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + big_t + t)
    one_minus_z = (alpha + big_t) / (alpha + big_t + t)
    hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    bracket = 1.0 - one_minus_z ** (a - 1.0) * hyp
    front = (a + b + x - 1.0) / (a - 1.0)
    return front * bracket * p_alive(params, x, t_x, big_t)


def p_no_purchase(params: BgNbdParams, t: float, frequency, recency, T) -> np.ndarray:
    """P(no purchase in the next `t` time units | x, t_x, T).

    Dead customers never buy; an alive one with rate lambda ~ Gamma(r + x, alpha + T) buys
    nothing in (T, T + t] with probability ((alpha + T) / (alpha + T + t))^(r + x).
    """
    x, t_x, big_t, _ = _as_arrays(frequency, recency, T, None)
    alive = p_alive(params, x, t_x, big_t)
    silent = np.exp(
        (params.r + x) * (np.log(params.alpha + big_t) - np.log(params.alpha + big_t + t))
    )
    return 1.0 - alive + alive * silent
