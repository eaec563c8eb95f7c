"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV") by maximum likelihood.

Fitted on repeat buyers only: `frequency` x > 0 repeat transactions with mean value m_x > 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, psi

from ml.bgnbd import LOG_BOUND, OPTIMISER_OPTIONS, degenerate_reasons
from ml.errors import FitFailedError, TooFewCustomersError

#: Above this q the fit says every customer spends the same (no heterogeneity left to learn).
MAX_Q = 1_000.0


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (spend in the currency of the input)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    converged: bool
    degenerate: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float | int | bool]:
        """Plain dict for JSON run records."""
        return asdict(self)

    @property
    def population_mean_spend(self) -> float:
        """E[M] = p*gamma/(q-1): the expected spend of a customer with no repeat history."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("nan")


def log_likelihood_terms(
    log_params: np.ndarray, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and gradient w.r.t. (log p, log q, log gamma)."""
    p, q, g = np.exp(log_params)
    px = p * x
    log_gmx = np.log(g + m * x)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_gmx
    )
    d_p = x * (psi(px + q) - psi(px) + np.log(m) + np.log(x) - log_gmx)
    d_q = psi(px + q) - psi(q) + np.log(g) - log_gmx
    d_g = q / g - (px + q) / (g + m * x)
    return ll, np.stack([d_p * p, d_q * q, d_g * g])


def fit_gamma_gamma(frequency: np.ndarray, monetary: np.ndarray) -> GammaGammaParams:
    """Fit on customers with frequency > 0 and mean repeat spend > 0 (others are ignored)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary, dtype=float)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    x, m = x[keep], m[keep]
    if x.size < 2:
        raise TooFewCustomersError(
            f"Gamma-Gamma needs at least 2 repeat buyers with positive spend, got {x.size}: "
            "load more orders before fitting CLV."
        )

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = log_likelihood_terms(theta, x, m)
        return -float(ll.sum()) / x.size, -grad.sum(axis=1) / x.size

    start = np.log([1.0, 2.0, float(np.mean(m))])
    bounds = [(-LOG_BOUND, LOG_BOUND)] * 3
    result = minimize(
        objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=OPTIMISER_OPTIONS
    )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitFailedError(f"Gamma-Gamma fit did not reach finite parameters: {result.message}")
    p, q, g = (float(v) for v in np.exp(result.x))
    degenerate = degenerate_reasons(
        {"p": p, "q": q, "gamma": g}, dict.fromkeys(("p", "q", "gamma"), (-LOG_BOUND, LOG_BOUND))
    )
    if q > MAX_Q:
        degenerate.append(f"q={q:.4g} > {MAX_Q:g}: spend barely varies between customers")
    if q <= 1.0:
        degenerate.append(f"q={q:.4g} <= 1: the population mean spend is undefined")
    return GammaGammaParams(
        p=p,
        q=q,
        gamma=g,
        log_likelihood=-float(result.fun) * float(x.size),
        n_customers=int(x.size),
        converged=bool(result.success) and not degenerate,
        degenerate=tuple(degenerate),
    )


def expected_spend(params: GammaGammaParams, frequency, monetary) -> np.ndarray:
    """E[M | x, m_x]: a credibility blend of the population mean and the customer's mean.

    Customers with x = 0 (or no usable spend) get the population mean p*gamma/(q-1).
    """
    x = np.asarray(frequency, dtype=float)
    m = np.nan_to_num(np.asarray(monetary, dtype=float), nan=0.0)
    usable = (x > 0) & (m > 0)
    x = np.where(usable, x, 0.0)
    m = np.where(usable, m, 0.0)
    return (params.gamma + m * x) * params.p / (params.p * x + params.q - 1.0)
