"""Repeat purchases from a BG/NBD-like process, vectorised over a chunk of customers.

While alive, a customer buys as a Poisson process (rate ~ Gamma) modulated by seasonality and,
by customer kind, by sale windows (thinning). After each purchase they drop out with
probability p ~ Beta, raised by a delivery problem or a detractor NPS on that order. The
latent dropout time drives engagement decay elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample_store.catalog import Calendar
from retention.sample_store.latent import OFF_SALE, SALE_BOOST, Latent

MAX_PURCHASES = 60
PROBLEM_PROB = 0.07
CANCEL_PROB = 0.03
FEEDBACK_PROB = 0.3
PROBLEM_DROPOUT = 0.3
DETRACTOR_DROPOUT = 0.2
FADE_DAYS = 15.0


@dataclass(frozen=True)
class Purchases:
    """One row per order of the chunk (customer = chunk-local index), plus per-customer death."""

    customer: np.ndarray
    seq: np.ndarray  # 1-based purchase number of the customer
    at: np.ndarray  # days since start
    cancelled: np.ndarray
    problem: np.ndarray  # 0 none, 1 late delivery, 2 delivery exception
    feedback: np.ndarray
    nps: np.ndarray
    csat: np.ndarray
    death: np.ndarray  # per customer: latent dropout time (+inf while alive)


def intensity(calendar: Calendar, latent: Latent, who: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Relative purchase intensity of customers `who` at times `t`."""
    day = np.minimum(t.astype(np.int64), calendar.days)
    in_sale = calendar.promo_code[day] >= 0
    kind = latent.kind[who]
    return calendar.season[day] * np.where(in_sale, SALE_BOOST[kind], OFF_SALE[kind])


def simulate(rng: np.random.Generator, latent: Latent, calendar: Calendar) -> Purchases:
    """Simulate every purchase of the chunk up to the end of history."""
    n = len(latent.number)
    horizon = float(calendar.days)
    bound = calendar.season.max() * np.maximum(SALE_BOOST, OFF_SALE)[latent.kind]
    t = latent.first_purchase.copy()
    count = np.zeros(n, dtype=np.int64)
    death = np.full(n, np.inf)
    buying = t < horizon  # the current t is a purchase
    active = buying.copy()
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in Purchases.__dataclass_fields__ if k != "death"
    }
    while active.any():
        who = np.flatnonzero(buying)
        if len(who):
            _record(rng, latent, who, t[who], count[who] + 1, out, death)
            count[who] += 1
            dead = np.isfinite(death[who]) | (count[who] >= MAX_PURCHASES)
            active[who[dead]] = False
        who = np.flatnonzero(active)
        t[who] += rng.exponential(1.0, len(who)) / (latent.rate[who] * bound[who])
        ended = t[who] >= horizon
        active[who[ended]] = False
        who = who[~ended]
        buying[:] = False
        accept = rng.random(len(who)) * bound[who] < intensity(calendar, latent, who, t[who])
        buying[who[accept]] = True
    parts = {k: np.concatenate(v) if v else np.array([]) for k, v in out.items()}
    order = np.lexsort((parts["seq"], parts["customer"])) if len(parts["at"]) else slice(None)
    return Purchases(**{k: v[order] for k, v in parts.items()}, death=death)


def _record(
    rng: np.random.Generator,
    latent: Latent,
    who: np.ndarray,
    at: np.ndarray,
    seq: np.ndarray,
    out: dict[str, list[np.ndarray]],
    death: np.ndarray,
) -> None:
    """Outcome of one purchase for each customer in `who`, and their dropout decision."""
    m = len(who)
    cancelled = rng.random(m) < CANCEL_PROB
    roll = rng.random(m)
    problem = np.where(cancelled, 0, np.where(roll < PROBLEM_PROB * 0.4, 2, 0))
    problem = np.where(
        ~cancelled & (roll >= PROBLEM_PROB * 0.4) & (roll < PROBLEM_PROB), 1, problem
    )
    feedback = ~cancelled & (rng.random(m) < np.where(problem > 0, 0.55, FEEDBACK_PROB))
    mean_nps = 2.0 + 8.0 * latent.satisfaction[who] - 3.5 * (problem > 0)
    nps = np.clip(np.rint(rng.normal(mean_nps, 1.4)), 0, 10).astype(np.int64)
    csat = np.clip(np.rint(nps / 2.5 + rng.normal(0.6, 0.6)), 1, 5).astype(np.int64)
    detractor = feedback & (nps <= 6)
    p = latent.dropout[who] + PROBLEM_DROPOUT * (problem > 0) + DETRACTOR_DROPOUT * detractor
    drops = ~cancelled & (rng.random(m) < np.minimum(p, 0.97))
    death[who[drops]] = at[drops] + rng.exponential(FADE_DAYS, drops.sum())
    for key, value in (
        ("customer", who),
        ("seq", seq),
        ("at", at),
        ("cancelled", cancelled),
        ("problem", problem),
        ("feedback", feedback),
        ("nps", nps),
        ("csat", csat),
    ):
        out[key].append(value)
