"""Does the store have enough history to fit a model? (Klaviyo-style minimums, as config.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ml.config import DataMinimums
from ml.sql import WarehouseSource, as_warehouse, days_between, timestamp_literal
from retention.core.warehouse.base import read_table


@dataclass(frozen=True)
class HistoryStats:
    """What the store holds before as_of: buyers, repeat buyers and days of order history."""

    buyers: int
    repeat_buyers: int
    history_days: int

    def as_dict(self) -> dict[str, int]:
        """Plain dict for run metrics."""
        return {
            "buyers": self.buyers,
            "repeat_buyers": self.repeat_buyers,
            "history_days": self.history_days,
        }


def history_stats(source: WarehouseSource, as_of: date) -> HistoryStats:
    """Buyers, repeat buyers (purchases on 2+ days) and days since the first purchase."""
    warehouse = as_warehouse(source)
    cutoff = timestamp_literal(as_of)
    day = f"cast({cutoff} as date)"
    sql = f"""
        with days as (
            select customer_id, count(distinct cast(ordered_at as date)) as purchase_days,
                   min(cast(ordered_at as date)) as first_day
            from marts.fct_orders
            where is_purchase and customer_id is not null and ordered_at < {cutoff}
            group by customer_id
        )
        select count(*) as buyers,
               count(case when purchase_days >= 2 then 1 end) as repeat_buyers,
               coalesce({days_between(warehouse.target, "min(first_day)", day)}, 0)
                   as history_days
        from days
    """
    row = read_table(warehouse, sql).to_pylist()[0]
    return HistoryStats(
        buyers=int(row["buyers"]),
        repeat_buyers=int(row["repeat_buyers"]),
        history_days=int(row["history_days"]),
    )


def unmet_minimums(stats: HistoryStats, minimums: DataMinimums) -> list[str]:
    """One `insufficient_<what>: have N, need M` reason per minimum the store misses."""
    checks = [
        ("buyers", stats.buyers, minimums.min_buyers),
        ("repeat_buyers", stats.repeat_buyers, minimums.min_repeat_buyers),
        ("history_days", stats.history_days, minimums.min_history_days),
    ]
    return [
        f"insufficient_{name}: have {have}, need {need}"
        for name, have, need in checks
        if have < need
    ]
