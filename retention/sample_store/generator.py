"""`generate_store`: a deterministic synthetic store written chunk by chunk as canonical CSV."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from retention.sample_store.catalog import CATEGORIES, build_calendar, build_catalog
from retention.sample_store.engagement import build_events
from retention.sample_store.latent import draw_latent
from retention.sample_store.orders import (
    build_feedback,
    build_orders,
    build_shipments,
    order_ids,
)
from retention.sample_store.profiles import build_customers, customer_ids
from retention.sample_store.purchases import simulate
from retention.sample_store.writer import StoreWriter

DEFAULT_END_DATE = date(2026, 10, 31)
HISTORY_DAYS = 3 * 365 + 1
CHUNK = 25_000


def generate_store(
    out_dir: Path,
    customers: int = 10_000,
    seed: int = 42,
    end_date: date = DEFAULT_END_DATE,
) -> dict[str, int]:
    """Write customers/orders/order_items/products/events/feedback/shipment_events CSVs.

    About three years of history ending the day before `end_date + 1` (nothing on or after the
    day after end_date). Same seed and arguments give byte-identical files. Returns rows per
    file (table name -> rows).
    """
    out_dir = Path(out_dir)
    start = end_date + timedelta(days=1) - timedelta(days=HISTORY_DAYS)
    calendar = build_calendar(start, HISTORY_DAYS)
    catalog = build_catalog(seed)
    horizon = float(HISTORY_DAYS)
    width = max(7, len(str(customers)))
    writer = StoreWriter(out_dir, start)
    try:
        writer.write(
            "products",
            {
                "product_id": catalog.product_id,
                "name": catalog.name,
                "category": np.array(CATEGORIES)[catalog.category],
                "list_price": catalog.list_price,
            },
        )
        for chunk, first in enumerate(range(0, customers, CHUNK)):
            rng = np.random.default_rng([seed, chunk])
            n = min(CHUNK, customers - first)
            latent = draw_latent(rng, first + 1, n, calendar)
            purchases = simulate(rng, latent, calendar)
            people = build_customers(rng, latent, purchases.death, horizon, width)
            ids = order_ids(latent, purchases, width)
            orders, items = build_orders(rng, latent, purchases, catalog, calendar, ids)
            shipments = build_shipments(rng, latent, purchases, orders, horizon)
            feedback = build_feedback(rng, latent, purchases, orders, horizon)
            events = build_events(
                rng,
                latent,
                purchases,
                people["email_consent"] == "subscribed",
                people["sms_consent"] == "subscribed",
                catalog.product_id,
                horizon,
            )
            cids = customer_ids(latent, width)
            writer.write("customers", people)
            writer.write("orders", {**orders, "customer_id": cids[orders["customer_idx"]]})
            writer.write("order_items", items)
            writer.write("events", {**events, "customer_id": cids[events["customer_idx"]]})
            writer.write("feedback", {**feedback, "customer_id": cids[feedback["customer_idx"]]})
            writer.write("shipment_events", shipments)
    finally:
        writer.close()
    return dict(writer.rows)
