"""Latent customer traits for one chunk: acquisition, buyer type, BG/NBD rates, preferences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample_store.catalog import CATEGORIES, COUNTRIES, SIZES, Calendar

REGULAR, SEEKER, LOYALIST = 0, 1, 2
KIND_SHARES = (0.45, 0.30, 0.25)
# Purchase-intensity multiplier inside / outside sale windows, per kind.
SALE_BOOST = np.array([1.6, 4.0, 1.0])
OFF_SALE = np.array([1.0, 0.6, 1.0])
NEVER_BUY_SHARE = 0.22
PURCHASES_PER_YEAR = 3.2
DROPOUT_A, DROPOUT_B = 1.3, 2.7
DROPOUT_BY_KIND = np.array([1.0, 1.15, 0.6])


@dataclass(frozen=True)
class Latent:
    """Hidden state of a chunk's customers (times in days since the history start)."""

    number: np.ndarray  # global 1-based customer number
    signup: np.ndarray
    kind: np.ndarray
    first_purchase: np.ndarray  # +inf for subscribers who never buy
    rate: np.ndarray  # purchases per day at seasonality 1
    dropout: np.ndarray  # BG/NBD p: chance to drop out after each purchase
    satisfaction: np.ndarray  # 0..1, drives NPS/CSAT
    engagement: np.ndarray  # engagement events per day while alive
    category_cdf: np.ndarray  # (n, categories) cumulative preference
    size: np.ndarray  # preferred size index
    country: np.ndarray  # index into COUNTRIES


def _signup_days(rng: np.random.Generator, n: int, calendar: Calendar) -> np.ndarray:
    """Acquisition growing ~3% a month with a bump in the Nov/Dec peak (monthly cohorts)."""
    day = np.arange(calendar.days)
    weights = np.exp(0.001 * day) * np.where(calendar.season[:-1] > 1.5, 1.4, 1.0)
    return rng.choice(calendar.days, size=n, p=weights / weights.sum()) + rng.random(n)


def draw_latent(rng: np.random.Generator, first_number: int, n: int, calendar: Calendar) -> Latent:
    """Draw one chunk's latent traits."""
    signup = _signup_days(rng, n, calendar)
    kind = rng.choice(3, size=n, p=KIND_SHARES)
    buys = rng.random(n) >= NEVER_BUY_SHARE
    same_day = rng.random(n) < 0.45
    delay = np.where(same_day, rng.random(n) * 0.05, rng.exponential(12.0, n))
    first = np.where(buys, signup + delay, np.inf)
    shape = 1.4
    rate = rng.gamma(shape, PURCHASES_PER_YEAR / 365.25 / shape, n)
    dropout = np.clip(rng.beta(DROPOUT_A, DROPOUT_B, n) * DROPOUT_BY_KIND[kind], 0.01, 0.95)
    satisfaction = rng.beta(5, 2, n)
    engagement = rng.gamma(2.0, 0.04, n) * (rate / (PURCHASES_PER_YEAR / 365.25)) ** 0.3
    prefs = rng.dirichlet(np.full(len(CATEGORIES), 0.4), n)
    shares = np.array([v[0] for v in COUNTRIES.values()])
    return Latent(
        number=np.arange(first_number, first_number + n),
        signup=signup,
        kind=kind,
        first_purchase=first,
        rate=rate,
        dropout=dropout,
        satisfaction=satisfaction,
        engagement=engagement,
        category_cdf=np.cumsum(prefs, axis=1),
        size=rng.choice(len(SIZES), size=n, p=(0.1, 0.25, 0.3, 0.22, 0.13)),
        country=rng.choice(len(COUNTRIES), size=n, p=shares / shares.sum()),
    )
