"""Point-in-time churn features and labels, computed in DuckDB for any cutoff.

Every input row is filtered to `< cutoff` (orders, items, events, feedback, shipment events,
sign-ups), so a feature at cutoff c only reflects what was knowable at the start of day c.
The population at a cutoff is every customer with at least one purchase before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np

from orchestration.ingest.contract import EVENT_TYPES

TREND_WINDOW_DAYS = 90


def _event_columns() -> tuple[str, str]:
    recent, prior = [], []
    for event in EVENT_TYPES:
        recent.append(
            f"count(*) filter (where event_type = '{event}' and is_recent) as {event}_90d"
        )
        prior.append(
            f"count(*) filter (where event_type = '{event}' and is_recent) "
            f"- count(*) filter (where event_type = '{event}' and is_prior) as {event}_trend"
        )
    return ",\n            ".join(recent), ",\n            ".join(prior)


def _feature_sql() -> str:
    recent, trend = _event_columns()
    return f"""
    with orders as (
        select order_id, customer_id, cast(ordered_at as date) as order_date, is_purchase,
               net_revenue, has_discount
        from marts.fct_orders
        where ordered_at < cast($cutoff as timestamp) and customer_id is not null
    ),
    purchases as (select * from orders where is_purchase),
    purchase_days as (
        select customer_id, order_date,
               order_date - lag(order_date) over (
                   partition by customer_id order by order_date) as gap_days
        from (select distinct customer_id, order_date from purchases)
    ),
    order_stats as (
        select
            customer_id,
            min(order_date) as first_order_date,
            $cutoff - max(order_date) as recency_days,
            count(*) as frequency,
            sum(net_revenue) as monetary,
            avg(net_revenue) as avg_order_value,
            count(*) filter (where order_date >= $cutoff - {TREND_WINDOW_DAYS}) as orders_90d,
            count(*) filter (where order_date >= $cutoff - {TREND_WINDOW_DAYS})
              - count(*) filter (where order_date >= $cutoff - {2 * TREND_WINDOW_DAYS}
                                   and order_date < $cutoff - {TREND_WINDOW_DAYS})
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
        where ordered_at < cast($cutoff as timestamp)
        group by customer_id
    ),
    events as (
        select customer_id, event_type, occurred_at,
               occurred_at >= cast($cutoff as timestamp) - interval {TREND_WINDOW_DAYS} day
                   as is_recent,
               occurred_at < cast($cutoff as timestamp) - interval {TREND_WINDOW_DAYS} day
                   and occurred_at >= cast($cutoff as timestamp)
                       - interval {2 * TREND_WINDOW_DAYS} day as is_prior
        from staging.stg_shop__events
        where occurred_at < cast($cutoff as timestamp)
    ),
    engagement as (
        select
            customer_id,
            {recent},
            {trend},
            count(*) filter (where is_recent) as events_90d,
            count(*) filter (where is_recent) - count(*) filter (where is_prior) as events_trend,
            $cutoff - max(cast(occurred_at as date)) as last_event_days
        from events
        group by customer_id
    ),
    feedback as (
        select customer_id,
               avg(nps_score) as nps_avg,
               arg_max(nps_score, submitted_at) as nps_last,
               avg(csat_score) as csat_avg,
               count(*) as feedback_count
        from staging.stg_shop__feedback
        where submitted_at < cast($cutoff as timestamp)
        group by customer_id
    ),
    shipments as (
        select o.customer_id,
               count(distinct s.order_id) filter (where s.shipment_status = 'exception')
                   as delivery_problems,
               avg(date_diff('hour', o.ordered_at, s.occurred_at) / 24.0)
                   filter (where s.shipment_status = 'delivered') as avg_days_to_deliver
        from staging.stg_shop__shipment_events s
        join marts.fct_orders o using (order_id)
        where s.occurred_at < cast($cutoff as timestamp)
          and s.shipment_status in ('exception', 'delivered')
          and o.ordered_at < cast($cutoff as timestamp)
        group by o.customer_id
    ),
    signups as (
        select customer_id, cast(signed_up_at as date) as signup_date
        from marts.dim_customers
        where signed_up_at < cast($cutoff as timestamp)
    )
    select
        s.customer_id,
        s.recency_days::double as recency_days,
        s.frequency::double as frequency,
        s.monetary::double as monetary,
        s.avg_order_value::double as avg_order_value,
        g.ipt_mean_days::double as ipt_mean_days,
        g.ipt_std_days::double as ipt_std_days,
        s.orders_90d::double as orders_90d,
        s.orders_trend::double as orders_trend,
        s.discount_share::double as discount_share,
        coalesce(u.cancelled_or_returned, 0)::double as cancelled_or_returned,
        coalesce(c.category_breadth, 0)::double as category_breadth,
        {", ".join(f"coalesce(e.{ev}_90d, 0)::double as {ev}_90d" for ev in EVENT_TYPES)},
        {", ".join(f"coalesce(e.{ev}_trend, 0)::double as {ev}_trend" for ev in EVENT_TYPES)},
        coalesce(e.events_90d, 0)::double as events_90d,
        coalesce(e.events_trend, 0)::double as events_trend,
        e.last_event_days::double as last_event_days,
        f.nps_avg::double as nps_avg,
        f.nps_last::double as nps_last,
        f.csat_avg::double as csat_avg,
        coalesce(f.feedback_count, 0)::double as feedback_count,
        coalesce(sh.delivery_problems, 0)::double as delivery_problems,
        sh.avg_days_to_deliver::double as avg_days_to_deliver,
        ($cutoff - least(s.first_order_date, coalesce(su.signup_date, s.first_order_date)))::double
            as tenure_days
    from order_stats s
    left join gap_stats g using (customer_id)
    left join unsuccessful u using (customer_id)
    left join categories c using (customer_id)
    left join engagement e using (customer_id)
    left join feedback f using (customer_id)
    left join shipments sh using (customer_id)
    left join signups su using (customer_id)
    order by s.customer_id
    """


FEATURE_SQL = _feature_sql()

LABEL_SQL = """
    select p.customer_id,
           not exists (
               select 1 from marts.fct_orders o
               where o.customer_id = p.customer_id and o.is_purchase
                 and o.ordered_at >= cast($cutoff as timestamp)
                 and o.ordered_at < cast($label_end as timestamp)
           ) as churned
    from (select distinct customer_id from marts.fct_orders
          where is_purchase and ordered_at < cast($cutoff as timestamp)
            and customer_id is not null) p
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


def build_features(con: duckdb.DuckDBPyConnection, cutoff: date) -> FeatureFrame:
    """Run the point-in-time feature query for `cutoff`."""
    cols = con.execute(FEATURE_SQL, {"cutoff": cutoff}).fetchnumpy()
    names = tuple(name for name in cols if name != "customer_id")
    values = (
        np.column_stack(
            [np.ma.filled(np.ma.asarray(cols[name], dtype=np.float64), np.nan) for name in names]
        )
        if names
        else np.empty((0, 0))
    )
    return FeatureFrame(
        cutoff=cutoff,
        customer_id=np.asarray(cols["customer_id"]).astype(str),
        names=names,
        values=values.astype(np.float32),
    )


def build_labels(
    con: duckdb.DuckDBPyConnection, cutoff: date, horizon_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customer_id, churned) for customers with a purchase before `cutoff`.

    churned = no purchase (non-cancelled, non-returned order) in [cutoff, cutoff + horizon).
    """
    cols = con.execute(
        LABEL_SQL, {"cutoff": cutoff, "label_end": cutoff + timedelta(days=horizon_days)}
    ).fetchnumpy()
    return np.asarray(cols["customer_id"]).astype(str), np.asarray(cols["churned"], dtype=bool)
