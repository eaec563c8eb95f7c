"""Orders, order items, shipment events and feedback of a chunk, as column arrays."""

from __future__ import annotations

import numpy as np

from retention.sample_store.catalog import (
    AFFINITY_PROB,
    APPAREL,
    CATEGORIES,
    CODE_RATES,
    CODES,
    COMMENTS,
    COUNTRIES,
    EVERGREEN,
    ONE_SIZE,
    SIZES,
    WELCOME,
    Calendar,
    Catalog,
)
from retention.sample_store.latent import Latent
from retention.sample_store.purchases import Purchases

Columns = dict[str, np.ndarray]
FREE_SHIPPING_FROM = 50.0
SHIPPING_FEE = 4.95
# Chance to use a code: [regular, seeker, loyalist] in a sale window / on a first order / otherwise.
SALE_CODE_USE = np.array([0.5, 0.9, 0.1])
WELCOME_USE = np.array([0.3, 0.6, 0.05])
EVERGREEN_USE = np.array([0.06, 0.3, 0.02])
RETURN_PROB, APPAREL_RETURN_PROB = 0.03, 0.09


def order_ids(latent: Latent, purchases: Purchases, width: int) -> np.ndarray:
    """`O<customer number>-<purchase number>`, unique and stable per seed."""
    number = latent.number[purchases.customer].astype(str)
    return np.char.add(
        np.char.add("O", np.char.zfill(number, width)),
        np.char.add("-", np.char.zfill(purchases.seq.astype(str), 2)),
    )


def _discounts(
    rng: np.random.Generator, latent: Latent, purchases: Purchases, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray]:
    """Discount code index (-1 none) and rate per order."""
    n = len(purchases.at)
    kind = latent.kind[purchases.customer]
    sale = calendar.promo_code[purchases.at.astype(np.int64)]
    roll = rng.random(n)
    code = np.full(n, -1)
    in_sale = (sale >= 0) & (roll < SALE_CODE_USE[kind])
    code[in_sale] = sale[in_sale]
    welcome = (code < 0) & (purchases.seq == 1) & (roll < WELCOME_USE[kind])
    code[welcome] = CODES.index(WELCOME[0])
    evergreen = (code < 0) & (purchases.seq > 1) & (roll < EVERGREEN_USE[kind])
    pick = rng.integers(0, len(EVERGREEN), n)
    code[evergreen] = np.array([CODES.index(c) for c, _ in EVERGREEN])[pick[evergreen]]
    rates = np.array([CODE_RATES[c] for c in CODES] + [0.0])
    return code, rates[code]


def _items(
    rng: np.random.Generator, latent: Latent, purchases: Purchases, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(order index, product index, size label, quantity) per item, duplicates merged."""
    n_orders = len(purchases.at)
    n_items = 1 + np.minimum(rng.poisson(0.6, n_orders), 4)
    order = np.repeat(np.arange(n_orders), n_items)
    cust = purchases.customer[order]
    cat = (rng.random(len(order))[:, None] > latent.category_cdf[cust]).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    rank = np.zeros(len(order), dtype=np.int64)
    for c, cdf in catalog.popularity_cdf.items():
        sel = cat == c
        rank[sel] = np.searchsorted(cdf, rng.random(sel.sum()))
    product = cat * len(cdf) + np.minimum(rank, len(cdf) - 1)
    partner = catalog.partner[product]
    adds = (partner >= 0) & (rng.random(len(product)) < AFFINITY_PROB)
    order = np.concatenate([order, order[adds]])
    product = np.concatenate([product, partner[adds]])
    cust = purchases.customer[order]
    apparel = np.isin(catalog.category[product], [CATEGORIES.index(c) for c in APPAREL])
    shift = rng.choice((-1, 0, 1), size=len(product), p=(0.05, 0.9, 0.05))
    size_idx = np.clip(latent.size[cust] + shift, 0, len(SIZES) - 1)
    size = np.where(apparel, np.array(SIZES)[size_idx], ONE_SIZE)
    qty = rng.choice((1, 2, 3), size=len(product), p=(0.85, 0.12, 0.03))
    key = (order * 10_000 + product) * 10 + np.where(apparel, size_idx, 9)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    merged_qty = np.bincount(inverse, weights=qty).astype(np.int64)
    return order[first], product[first], size[first], merged_qty


def build_orders(
    rng: np.random.Generator,
    latent: Latent,
    purchases: Purchases,
    catalog: Catalog,
    calendar: Calendar,
    ids: np.ndarray,
) -> tuple[Columns, Columns]:
    """Orders and order items columns (times in days since the history start, inf = empty)."""
    n = len(purchases.at)
    horizon = float(calendar.days)
    code, rate = _discounts(rng, latent, purchases, calendar)
    item_order, product, size, qty = _items(rng, latent, purchases, catalog)
    list_price = catalog.list_price[product]
    unit_price = np.round(list_price * (1 - rate[item_order]), 2)
    subtotal = np.bincount(item_order, weights=list_price * qty, minlength=n)
    discount = np.bincount(item_order, weights=(list_price - unit_price) * qty, minlength=n)
    shipping = np.where(subtotal - discount >= FREE_SHIPPING_FROM, 0.0, SHIPPING_FEE)
    shipped = purchases.at + rng.uniform(0.2, 2.0, n)
    delay = rng.uniform(1.0, 4.0, n) + np.where(purchases.problem == 1, rng.uniform(4, 10, n), 0)
    delay += np.where(purchases.problem == 2, rng.uniform(2, 6, n), 0)
    delivered = shipped + delay
    has_apparel = (
        np.bincount(item_order, weights=np.isin(size, SIZES).astype(float), minlength=n) > 0
    )
    returned = rng.random(n) < np.where(has_apparel, APPAREL_RETURN_PROB, RETURN_PROB)
    status = np.where(delivered < horizon, np.where(returned, "returned", "delivered"), "shipped")
    status = np.where(shipped >= horizon, "placed", status)
    status = np.where(purchases.cancelled, "cancelled", status)
    shipped = np.where(np.isin(status, ("placed", "cancelled")), np.inf, shipped)
    delivered = np.where(np.isin(status, ("delivered", "returned")), delivered, np.inf)
    codes = np.array(CODES + ("",))
    orders = {
        "order_id": ids,
        "customer_idx": purchases.customer,
        "ordered_at": purchases.at,
        "status": status,
        "currency": np.where(latent.country[purchases.customer] == 1, "USD", "GBP"),
        "subtotal": subtotal,
        "discount_amount": discount,
        "shipping_amount": shipping,
        "total": subtotal - discount + shipping,
        "discount_code": codes[code],
        "shipped_at": shipped,
        "delivered_at": delivered,
        # the status is final as of the end date; when it changed is not simulated
        "cancelled_at": np.full(n, np.inf),
        "returned_at": np.full(n, np.inf),
    }
    items = {
        "order_id": ids[item_order],
        "product_id": catalog.product_id[product],
        "quantity": qty,
        "unit_price": unit_price,
        "list_price": list_price,
        "size": size,
    }
    return orders, items


def build_shipments(
    rng: np.random.Generator, latent: Latent, purchases: Purchases, orders: Columns, horizon: float
) -> Columns:
    """label_created -> in_transit -> (exception) -> out_for_delivery -> delivered (before end)."""
    shipped = orders["shipped_at"]
    has = np.isfinite(shipped)
    idx = np.flatnonzero(has)
    at = purchases.at[idx]
    ship = shipped[idx]
    arrive = np.where(
        np.isfinite(orders["delivered_at"][idx]),
        orders["delivered_at"][idx],
        ship + rng.uniform(3, 8, len(idx)),
    )
    stages = [
        ("label_created", at + (ship - at) * 0.6, np.ones(len(idx), bool)),
        ("in_transit", ship, np.ones(len(idx), bool)),
        ("exception", ship + (arrive - ship) * 0.5, purchases.problem[idx] == 2),
        ("out_for_delivery", arrive - rng.uniform(0.1, 0.35, len(idx)), np.ones(len(idx), bool)),
        ("delivered", arrive, np.isfinite(orders["delivered_at"][idx])),
    ]
    country = latent.country[purchases.customer[idx]]
    carriers = np.array([v[2] for v in COUNTRIES.values()])[country]
    suffix = np.array([v[3] for v in COUNTRIES.values()])[country]
    tracking = np.char.add(
        np.char.add("TR", np.char.zfill(rng.integers(0, 10**9, len(idx)).astype(str), 9)), suffix
    )
    parts = []
    for name, when, keep in stages:
        sel = keep & (when < horizon)
        parts.append((idx[sel], np.full(sel.sum(), name), when[sel], carriers[sel], tracking[sel]))
    order_idx, status, when, carrier, track = (np.concatenate(p) for p in zip(*parts, strict=True))
    sort = np.lexsort((when, order_idx))
    return {
        "order_id": orders["order_id"][order_idx][sort],
        "status": status[sort],
        "occurred_at": when[sort],
        "carrier": carrier[sort],
        "tracking_number": track[sort],
    }


def build_feedback(
    rng: np.random.Generator, latent: Latent, purchases: Purchases, orders: Columns, horizon: float
) -> Columns:
    """NPS 0-10 and CSAT 1-5 some days after some delivered orders."""
    submitted = orders["delivered_at"] + rng.uniform(1, 10, len(purchases.at))
    sel = purchases.feedback & np.isfinite(submitted) & (submitted < horizon)
    nps = purchases.nps[sel]
    bucket = np.where(nps <= 6, "detractor", np.where(nps <= 8, "passive", "promoter"))
    comment = np.full(sel.sum(), "", dtype=object)
    pick = rng.integers(0, 4, sel.sum())
    with_comment = rng.random(sel.sum()) < 0.45
    for name, texts in COMMENTS.items():
        m = (bucket == name) & with_comment
        comment[m] = np.array(texts)[pick[m] % len(texts)]
    return {
        "customer_idx": purchases.customer[sel],
        "order_id": orders["order_id"][sel],
        "submitted_at": submitted[sel],
        "nps_score": nps,
        "csat_score": purchases.csat[sel],
        "comment": comment,
    }
