"""Engagement events of a chunk: steady while a customer is alive, fading after dropout.

Alive customers (signup to latent dropout) emit email opens/clicks, SMS clicks, site visits and
product views at their own rate; after dropout the rate falls to a tenth and decays further.
Orders get a browse -> cart -> checkout trail; some carts are abandoned; some customers take a
style or skin quiz after signing up.
"""

from __future__ import annotations

import json

import numpy as np

from retention.sample_store.catalog import (
    CATEGORIES,
    PRODUCTS_PER_CATEGORY,
    QUIZ_CHOICES,
    SIZES,
)
from retention.sample_store.latent import Latent
from retention.sample_store.purchases import Purchases

Columns = dict[str, np.ndarray]
STEADY_TYPES = ("email_open", "email_click", "sms_click", "site_visit", "product_view")
STEADY_WEIGHTS = np.array([0.38, 0.1, 0.06, 0.24, 0.22])
AFTER_DROPOUT = 0.1
DECAY_DAYS = 45.0
ABANDON_SHARE = 0.05
QUIZ_SHARE = 0.2
FUNNEL_SHARE = 0.6


def _steady(
    rng: np.random.Generator, latent: Latent, death: np.ndarray, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, time) of background engagement before and after the latent dropout."""
    alive_end = np.minimum(death, horizon)
    span = np.maximum(alive_end - latent.signup, 0)
    n_alive = rng.poisson(latent.engagement * span)
    cust = np.repeat(np.arange(len(span)), n_alive)
    at = latent.signup[cust] + rng.random(len(cust)) * span[cust]
    after = np.where(np.isfinite(death), np.maximum(horizon - death, 0), 0)
    mass = 1 - np.exp(-after / DECAY_DAYS)
    n_after = rng.poisson(latent.engagement * AFTER_DROPOUT * DECAY_DAYS * mass)
    cust2 = np.repeat(np.arange(len(span)), n_after)
    u = rng.random(len(cust2)) * mass[cust2]
    at2 = death[cust2] - DECAY_DAYS * np.log1p(-u)
    return np.concatenate([cust, cust2]), np.concatenate([at, at2])


def _favourite_product(rng: np.random.Generator, latent: Latent, cust: np.ndarray) -> np.ndarray:
    cat = (rng.random(len(cust))[:, None] > latent.category_cdf[cust]).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    rank = np.minimum(rng.geometric(0.2, len(cust)) - 1, PRODUCTS_PER_CATEGORY - 1)
    return cat * PRODUCTS_PER_CATEGORY + rank


def _quiz_properties(rng: np.random.Generator, latent: Latent, cust: np.ndarray) -> np.ndarray:
    shares = np.diff(latent.category_cdf[cust], axis=1, prepend=0.0)
    top = shares.argmax(axis=1) if len(cust) else np.zeros(0, dtype=np.int64)
    group = np.where(top <= 2, "beauty", np.where(top == 3, "fragrance", "apparel"))
    out = np.empty(len(cust), dtype=object)
    pick = rng.integers(0, 5, len(cust))
    for name, (key, values) in QUIZ_CHOICES.items():
        for i in np.flatnonzero(group == name):
            answer = {key: values[pick[i] % len(values)]}
            if name == "apparel":
                answer["size"] = SIZES[latent.size[cust[i]]]
            out[i] = json.dumps(answer)
    return out


def build_events(
    rng: np.random.Generator,
    latent: Latent,
    purchases: Purchases,
    email_ok: np.ndarray,
    sms_ok: np.ndarray,
    product_ids: np.ndarray,
    horizon: float,
) -> Columns:
    """All events of the chunk, sorted by customer then time, before the end of history."""
    cust, at = _steady(rng, latent, purchases.death, horizon)
    weights = np.tile(STEADY_WEIGHTS, (len(cust), 1))
    weights[:, 0:2] *= email_ok[cust, None]
    weights[:, 2] *= sms_ok[cust]
    cdf = np.cumsum(weights, axis=1)
    kind = (rng.random(len(cust))[:, None] * cdf[:, -1:] > cdf).sum(axis=1)
    types = np.array(STEADY_TYPES)[kind]
    product = np.where(types == "product_view", _favourite_product(rng, latent, cust), -1)
    # Abandoned carts: some product views go on to the cart (and checkout) without an order.
    abandon = (types == "product_view") & (rng.random(len(cust)) < ABANDON_SHARE * 4)
    checkout = abandon & (rng.random(len(cust)) < 0.4)
    parts = [
        (cust, types, at, product),
        (cust[abandon], "add_to_cart", at[abandon] + 0.002, product[abandon]),
        (cust[checkout], "checkout_started", at[checkout] + 0.004, product[checkout]),
    ]
    # Funnel before an order.
    funnel = rng.random(len(purchases.at)) < FUNNEL_SHARE
    oc, ot = purchases.customer[funnel], purchases.at[funnel]
    op = _favourite_product(rng, latent, oc)
    for name, lead in (
        ("site_visit", 0.008),
        ("product_view", 0.006),
        ("add_to_cart", 0.004),
        ("checkout_started", 0.002),
    ):
        parts.append((oc, name, ot - lead, np.where(name == "site_visit", -1, op)))
    all_cust = np.concatenate([p[0] for p in parts])
    all_type = np.concatenate([np.broadcast_to(p[1], len(p[0])) for p in parts])
    all_at = np.concatenate([p[2] for p in parts])
    all_product = np.concatenate([p[3] for p in parts])
    props = np.full(len(all_cust), None, dtype=object)
    # Quiz answers shortly after signup.
    quiz = np.flatnonzero(rng.random(len(latent.number)) < QUIZ_SHARE)
    quiz_at = latent.signup[quiz] + rng.random(len(quiz)) * 3
    all_cust = np.concatenate([all_cust, quiz])
    all_type = np.concatenate([all_type, np.full(len(quiz), "quiz_answer")])
    all_at = np.concatenate([all_at, quiz_at])
    all_product = np.concatenate([all_product, np.full(len(quiz), -1)])
    props = np.concatenate([props, _quiz_properties(rng, latent, quiz)])
    keep = (all_at < horizon) & (all_at >= latent.signup[all_cust] - 0.01)
    sort = np.lexsort((all_at[keep], all_cust[keep]))
    types_out = all_type[keep][sort]
    product_out = all_product[keep][sort]
    return {
        "customer_idx": all_cust[keep][sort],
        "event_type": types_out,
        "occurred_at": all_at[keep][sort],
        "channel": np.where(
            np.isin(types_out, ("email_open", "email_click")),
            "email",
            np.where(types_out == "sms_click", "sms", "web"),
        ),
        "product_id": np.where(product_out >= 0, product_ids[np.maximum(product_out, 0)], None),
        "properties": props[keep][sort],
    }
