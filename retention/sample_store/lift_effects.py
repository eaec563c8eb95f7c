"""The month after a sync: orders with a known true effect per audience, to check measured lift.

The sample store ends at its end date, so nothing happens after the first sync. Given the
assignments the syncs recorded (`activation.audience_assignments`), this draws each member's
purchases in the `days` after their entry date: a base 30-day purchase probability per
audience for everyone, plus a known lift for members who were sent (any group but the
holdout). Win-back messages work; VIP early access changes nothing. Rebuilding with as_of after
the window, `marts.rpt_audience_lift` should find the first effect and not invent the second.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from activation.experiment import HOLDOUT


@dataclass(frozen=True)
class TrueEffect:
    """Purchase behaviour in the window after entry, without and with the message."""

    base_rate: float  # probability of buying within the window without a message (holdout)
    lift: float  # added to base_rate for members who were sent the message
    repeat_share: float = 0.25  # buyers who buy a second time within the window
    mean_order_value: float = 70.0


TRUE_EFFECTS: dict[str, TrueEffect] = {
    "aud_winback_rule": TrueEffect(base_rate=0.05, lift=0.10),
    "aud_vip_early_access": TrueEffect(base_rate=0.30, lift=0.0),
}
WINDOW_DAYS = 30
ORDER_ID_PREFIX = "LIFT"


def _members(con: duckdb.DuckDBPyConnection, audiences: list[str]) -> list[tuple]:
    """(audience, customer_id, group, entry_date, currency) per recorded assignment, sorted."""
    return con.execute(
        """
        WITH last_currency AS (
            SELECT customer_id, arg_max(currency, ordered_at) AS currency
            FROM raw.orders GROUP BY customer_id
        )
        SELECT a.audience, a.customer_id, a.group_name, a.entry_date,
               coalesce(c.currency, 'USD')
        FROM activation.audience_assignments a
        LEFT JOIN last_currency c USING (customer_id)
        WHERE list_contains($audiences, a.audience)
        ORDER BY a.audience, a.customer_id, a.experiment
        """,
        {"audiences": audiences},
    ).fetchall()


def _order(order_id: str, customer_id: str, at: datetime, currency: str, total: float) -> dict:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S")
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": stamp,
        "status": "placed",
        "currency": currency,
        "subtotal": f"{total:.2f}",
        "discount_amount": "0.00",
        "shipping_amount": "0.00",
        "total": f"{total:.2f}",
    }


def simulate_orders(
    con: duckdb.DuckDBPyConnection,
    *,
    effects: dict[str, TrueEffect] | None = None,
    days: int = WINDOW_DAYS,
    seed: int = 42,
) -> list[dict]:
    """Orders (canonical `orders` columns) in the `days` after each member's entry date.

    Deterministic for a given seed and set of recorded assignments.
    """
    effects = TRUE_EFFECTS if effects is None else effects
    rng = np.random.default_rng(seed)
    orders: list[dict] = []
    for audience, customer_id, group, entry, currency in _members(con, sorted(effects)):
        effect = effects[audience]
        rate = effect.base_rate + (0.0 if group == HOLDOUT else effect.lift)
        draws = rng.random(3)
        if draws[0] >= rate:
            continue
        count = 2 if draws[1] < effect.repeat_share else 1
        offsets = np.sort(rng.uniform(0, days, size=count))
        values = rng.gamma(4.0, effect.mean_order_value / 4.0, size=count)
        for offset, value in zip(offsets, values, strict=True):
            at = datetime.combine(entry, datetime.min.time()) + timedelta(days=float(offset))
            order_id = f"{ORDER_ID_PREFIX}{len(orders) + 1:08d}"
            orders.append(_order(order_id, customer_id, at, currency, round(float(value), 2)))
    return orders


def write_post_sync_orders(
    con: duckdb.DuckDBPyConnection,
    store_dir: Path,
    out_dir: Path,
    *,
    effects: dict[str, TrueEffect] | None = None,
    days: int = WINDOW_DAYS,
    seed: int = 42,
) -> int:
    """Write `out_dir/orders.csv`: the store's orders plus the simulated post-sync orders.

    Ingesting `out_dir` replaces `raw.orders` with both (ingest replaces the tables it loads);
    every other raw table stays. Returns the number of simulated orders.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "orders.csv"
    shutil.copyfile(Path(store_dir) / "orders.csv", target)
    with target.open(newline="") as handle:
        header = next(csv.reader(handle))
    orders = simulate_orders(con, effects=effects, days=days, seed=seed)
    with target.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writerows(orders)
    return len(orders)


def window_end(con: duckdb.DuckDBPyConnection, days: int = WINDOW_DAYS) -> date:
    """The as-of date at which every recorded member's window has ended."""
    (latest,) = con.execute(
        "SELECT max(entry_date) FROM activation.audience_assignments"
    ).fetchone()
    if latest is None:
        raise ValueError("activation.audience_assignments is empty: run the syncs first")
    return latest + timedelta(days=days)
