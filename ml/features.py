"""Point-in-time churn features and labels, computed in the warehouse for any cutoff.

Every input row is filtered to `< cutoff` (orders, items, events, feedback, shipment events,
sign-ups), so a feature at cutoff c only reflects what was knowable at the start of day c.
The population at a cutoff is every customer with at least one purchase before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from ml.sql import (
    WarehouseSource,
    as_warehouse,
    date_literal,
    days_between,
    hours_between,
    timestamp_literal,
)
from retention.core.raw_contract import EVENT_TYPES
from retention.core.warehouse.base import read_table

TREND_WINDOW_DAYS = 90


def _event_columns() -> tuple[str, str]:
    recent, prior = [], []
    for event in EVENT_TYPES:
        recent.append(
            f"count(case when event_type = '{event}' and is_recent then 1 end) as {event}_90d"
        )
        prior.append(
            f"count(case when event_type = '{event}' and is_recent then 1 end) "
            f"- count(case when event_type = '{event}' and is_prior then 1 end) as {event}_trend"
        )
    return ",\n            ".join(recent), ",\n            ".join(prior)


def feature_sql(engine: str, cutoff: date) -> str:
    """The point-in-time feature query for `cutoff` on `engine` (duckdb or spark)."""
    recent, trend = _event_columns()
    day = date_literal(cutoff)
    ts = timestamp_literal(cutoff)
    window_start = date_literal(cutoff - timedelta(days=TREND_WINDOW_DAYS))
    prior_start = date_literal(cutoff - timedelta(days=2 * TREND_WINDOW_DAYS))
    ts_window_start = timestamp_literal(cutoff - timedelta(days=TREND_WINDOW_DAYS))
    ts_prior_start = timestamp_literal(cutoff - timedelta(days=2 * TREND_WINDOW_DAYS))
    event_columns = ", ".join(
        f"cast(coalesce(e.{ev}_90d, 0) as double) as {ev}_90d" for ev in EVENT_TYPES
    )
    trend_columns = ", ".join(
        f"cast(coalesce(e.{ev}_trend, 0) as double) as {ev}_trend" for ev in EVENT_TYPES
    )
    first_day = "least(s.first_order_date, coalesce(su.signup_date, s.first_order_date))"
    return f"""
    with orders as (
        select order_id, customer_id, cast(ordered_at as date) as order_date, is_purchase,
               net_revenue, has_discount
        from marts.fct_orders
        where ordered_at < {ts} and customer_id is not null
    ),
    purchases as (select * from orders where is_purchase),
    purchase_days as (
        select customer_id, order_date,
               {
        days_between(
            engine,
            "lag(order_date) over (partition by customer_id order by order_date)",
            "order_date",
        )
    } as gap_days
        from (select distinct customer_id, order_date from purchases) as d
    ),
    order_stats as (
        select
            customer_id,
            min(order_date) as first_order_date,
            {days_between(engine, "max(order_date)", day)} as recency_days,
            count(*) as frequency,
            sum(net_revenue) as monetary,
            avg(net_revenue) as avg_order_value,
            count(case when order_date >= {window_start} then 1 end) as orders_90d,
            count(case when order_date >= {window_start} then 1 end)
              - count(case when order_date >= {prior_start}
                                and order_date < {window_start} then 1 end)
                as orders_trend,
            avg(case when has_discount then 1.0 else 0.0 end) as discount_share
        from purchases
        group by customer_id
    ),
    gap_stats as (
        select customer_id, avg(gap_days) as ipt_mean_days, stddev_samp(gap_days) as ipt_std_days
        from purchase_days
        where gap_days is not null
        group by customer_id
    ),
    unsuccessful as (
        select customer_id, count(*) as cancelled_or_returned
        from orders where not is_purchase group by customer_id
    ),
    categories as (
        select customer_id, count(distinct category) as category_breadth
        from marts.fct_order_items
        where ordered_at < {ts}
        group by customer_id
    ),
    events as (
        select customer_id, event_type, occurred_at,
               occurred_at >= {ts_window_start} as is_recent,
               occurred_at < {ts_window_start} and occurred_at >= {ts_prior_start} as is_prior
        from staging.stg_shop__events
        where occurred_at < {ts}
    ),
    engagement as (
        select
            customer_id,
            {recent},
            {trend},
            count(case when is_recent then 1 end) as events_90d,
            count(case when is_recent then 1 end) - count(case when is_prior then 1 end)
                as events_trend,
            {days_between(engine, "max(cast(occurred_at as date))", day)} as last_event_days
        from events
        group by customer_id
    ),
    feedback as (
        select customer_id,
               avg(nps_score) as nps_avg,
               max_by(nps_score, submitted_at) as nps_last,
               avg(csat_score) as csat_avg,
               count(*) as feedback_count
        from staging.stg_shop__feedback
        where submitted_at < {ts}
        group by customer_id
    ),
    shipments as (
        select o.customer_id,
               count(distinct case when s.shipment_status = 'exception' then s.order_id end)
                   as delivery_problems,
               avg(case when s.shipment_status = 'delivered'
                   then {hours_between(engine, "o.ordered_at", "s.occurred_at")} / 24.0 end)
                   as avg_days_to_deliver
        from staging.stg_shop__shipment_events s
        join marts.fct_orders o on o.order_id = s.order_id
        where s.occurred_at < {ts}
          and s.shipment_status in ('exception', 'delivered')
          and o.ordered_at < {ts}
        group by o.customer_id
    ),
    signups as (
        select customer_id, cast(signed_up_at as date) as signup_date
        from marts.dim_customers
        where signed_up_at < {ts}
    )
    select
        s.customer_id,
        cast(s.recency_days as double) as recency_days,
        cast(s.frequency as double) as frequency,
        cast(s.monetary as double) as monetary,
        cast(s.avg_order_value as double) as avg_order_value,
        cast(g.ipt_mean_days as double) as ipt_mean_days,
        cast(g.ipt_std_days as double) as ipt_std_days,
        cast(s.orders_90d as double) as orders_90d,
        cast(s.orders_trend as double) as orders_trend,
        cast(s.discount_share as double) as discount_share,
        cast(coalesce(u.cancelled_or_returned, 0) as double) as cancelled_or_returned,
        cast(coalesce(c.category_breadth, 0) as double) as category_breadth,
        {event_columns},
        {trend_columns},
        cast(coalesce(e.events_90d, 0) as double) as events_90d,
        cast(coalesce(e.events_trend, 0) as double) as events_trend,
        cast(e.last_event_days as double) as last_event_days,
        cast(f.nps_avg as double) as nps_avg,
        cast(f.nps_last as double) as nps_last,
        cast(f.csat_avg as double) as csat_avg,
        cast(coalesce(f.feedback_count, 0) as double) as feedback_count,
        cast(coalesce(sh.delivery_problems, 0) as double) as delivery_problems,
        cast(sh.avg_days_to_deliver as double) as avg_days_to_deliver,
        cast({days_between(engine, first_day, day)} as double) as tenure_days
    from order_stats s
    left join gap_stats g on g.customer_id = s.customer_id
    left join unsuccessful u on u.customer_id = s.customer_id
    left join categories c on c.customer_id = s.customer_id
    left join engagement e on e.customer_id = s.customer_id
    left join feedback f on f.customer_id = s.customer_id
    left join shipments sh on sh.customer_id = s.customer_id
    left join signups su on su.customer_id = s.customer_id
    order by s.customer_id
    """


def label_sql(cutoff: date, label_end: date) -> str:
    """(customer_id, churned) for customers with a purchase before `cutoff`."""
    ts = timestamp_literal(cutoff)
    return f"""
    select p.customer_id, w.customer_id is null as churned
    from (select distinct customer_id from marts.fct_orders
          where is_purchase and ordered_at < {ts} and customer_id is not null) p
    left join (select distinct customer_id from marts.fct_orders
               where is_purchase and ordered_at >= {ts}
                 and ordered_at < {timestamp_literal(label_end)}) w
        on w.customer_id = p.customer_id
    order by p.customer_id
    """


@dataclass(frozen=True)
class FeatureFrame:
    """Features of every customer with a purchase before `cutoff`, rows sorted by id."""

    cutoff: date
    customer_id: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray

    @property
    def schema(self) -> list[tuple[str, str]]:
        """Ordered (feature name, dtype) pairs: what a saved model must have been trained on."""
        return [(name, str(self.values.dtype)) for name in self.names]

    def column(self, name: str) -> np.ndarray:
        """One feature column by name."""
        return self.values[:, self.names.index(name)]

    def select(self, names: list[str] | tuple[str, ...]) -> FeatureFrame:
        """The same customers with only the features `names`, in that order."""
        index = [self.names.index(name) for name in names]
        return FeatureFrame(
            cutoff=self.cutoff,
            customer_id=self.customer_id,
            names=tuple(names),
            values=self.values[:, index],
        )


def build_features(source: WarehouseSource, cutoff: date) -> FeatureFrame:
    """Run the point-in-time feature query for `cutoff` (one row per customer)."""
    warehouse = as_warehouse(source)
    table = read_table(warehouse, feature_sql(warehouse.target, cutoff))
    names = tuple(name for name in table.column_names if name != "customer_id")
    values = (
        np.column_stack([_floats(table.column(name)) for name in names])
        if names
        else np.empty((0, 0))
    )
    return FeatureFrame(
        cutoff=cutoff,
        customer_id=np.asarray(table.column("customer_id").to_pylist()).astype(str),
        names=names,
        values=values.astype(np.float32),
    )


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64 with NaN for NULL."""
    return column.cast(pa.float64()).fill_null(np.nan).to_numpy()


def build_labels(
    source: WarehouseSource, cutoff: date, horizon_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customer_id, churned) for customers with a purchase before `cutoff`.

    churned = no purchase (non-cancelled, non-returned order) in [cutoff, cutoff + horizon).
    """
    table = read_table(
        as_warehouse(source), label_sql(cutoff, cutoff + timedelta(days=horizon_days))
    )
    return (
        np.asarray(table.column("customer_id").to_pylist()).astype(str),
        np.asarray(table.column("churned").to_pylist(), dtype=bool),
    )
