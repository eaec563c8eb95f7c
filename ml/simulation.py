"""Simulate a store directly into DuckDB tables shaped like the marts (pure SQL, any size).

Used by tests and `benchmarks/ml.py` to exercise the ML layer without the dbt pipeline.
Each customer buys as a Poisson process from a first purchase until an unobserved dropout
time; dropout hazard rises with low satisfaction, delivery problems and discount hunting;
engagement continues after dropout at a fraction of its rate, and satisfaction shows in NPS.
"""

from __future__ import annotations

from datetime import date

import duckdb

from retention.core.raw_contract import EVENT_TYPES

HISTORY_DAYS = 730
CATEGORIES = ("tops", "bottoms", "dresses", "shoes", "accessories", "outerwear")


def _customers_sql() -> str:
    return f"""
    create or replace temp table sim_customers as
    with base as (
        select
            i,
            'C' || lpad(cast(i as varchar), 8, '0') as customer_id,
            random() as u_start,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z_rate,
            sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as satisfaction,
            random() < 0.2 as bad_region,
            random() < 0.3 as discount_hunter,
            random() as u_life,
            exp(0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) as engagement
        from range($customers) t(i)
    )
    select
        *,
        $as_of - {HISTORY_DAYS} + cast(floor(u_start * ({HISTORY_DAYS} - 30)) as integer)
            as first_day,
        exp(ln(1.0 / 45) + 0.7 * z_rate) as rate_per_day,
        cast(least(100000, -ln(1 - u_life) * 420 * exp(
            0.6 * satisfaction - 0.7 * bad_region::int - 0.4 * discount_hunter::int))
            as integer) as life_days
    from base
    """


def _orders_sql() -> str:
    return """
    create or replace temp table sim_orders as
    with spans as (
        select *, least(life_days, $as_of - first_day) as active_days
        from sim_customers
    ),
    slots as (
        select s.customer_id, s.first_day, s.active_days, s.bad_region, s.discount_hunter, k,
               case when k = 0 then 0 else -ln(1 - random()) / s.rate_per_day end as gap
        from spans s,
             unnest(range(cast(ceil(s.rate_per_day * s.active_days * 1.6 + 8) as integer))) u(k)
    ),
    timed as (
        select *, sum(gap) over (partition by customer_id order by k) as offset_days
        from slots
    )
    select
        customer_id || '-' || k as order_id,
        customer_id,
        cast(first_day as timestamp) + to_seconds(cast(offset_days * 86400 as bigint))
            + interval 9 hour as ordered_at,
        case when random() < 0.05 then 'cancelled' when random() < 0.05 then 'returned'
             else 'delivered' end as status,
        round(25 + 60 * random(), 2) as gross_total,
        random() < case when discount_hunter then 0.7 else 0.15 end as has_discount,
        random() < case when bad_region then 0.35 else 0.03 end as has_delivery_problem,
        1 + cast(floor(random() * 6) as integer) as delivery_days
    from timed
    where offset_days <= active_days and k < 1000
    """


def _event_sql() -> str:
    types = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    return f"""
    create or replace table staging.stg_shop__events as
    with segments as (
        select customer_id, first_day - 30 as seg_start,
               least(first_day + life_days, $as_of) as seg_end, 0.06 * engagement as rate
        from sim_customers
        union all
        select customer_id, first_day + life_days as seg_start, $as_of as seg_end,
               0.01 * engagement as rate
        from sim_customers where first_day + life_days < $as_of
    ),
    draws as (
        select customer_id, seg_start, seg_end
        from segments,
             unnest(range(cast(floor(rate * (seg_end - seg_start) + random()) as integer)))
    )
    select
        customer_id,
        [{types}][1 + cast(floor(random() * {len(EVENT_TYPES)}) as integer)] as event_type,
        cast(seg_start as timestamp)
            + to_seconds(cast(random() * (seg_end - seg_start) * 86400 as bigint)) as occurred_at,
        'email' as channel,
        cast(null as varchar) as product_id,
        cast(null as varchar) as properties
    from draws
    where seg_end > seg_start
    """


def simulate_store(
    con: duckdb.DuckDBPyConnection, customers: int, seed: float, as_of: date
) -> None:
    """Create marts.fct_orders, fct_order_items, dim_customers, as_of_date and the staging
    events/feedback/shipment tables with `customers` simulated customers (seed in [-1, 1])."""
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists staging")
    con.execute("select setseed(?)", [seed])
    params = {"customers": customers, "as_of": as_of}
    con.execute(_customers_sql(), params)
    con.execute(_orders_sql(), {"as_of": as_of})
    con.execute(
        """
        create or replace table marts.fct_orders as
        select order_id, customer_id, ordered_at, cast(ordered_at as date) as order_date, status,
               status not in ('cancelled', 'returned') as is_purchase,
               gross_total,
               case when has_discount then round(gross_total * 0.2, 2) else 0 end
                   as discount_amount,
               gross_total - case when has_discount then round(gross_total * 0.2, 2) else 0 end
                   as net_revenue,
               has_discount,
               ordered_at + interval 1 day as shipped_at,
               ordered_at + to_days(delivery_days) as delivered_at,
               delivery_days as days_to_deliver,
               has_delivery_problem
        from sim_orders
        where ordered_at < cast($as_of as timestamp)
        """,
        {"as_of": as_of},
    )
    con.execute(
        f"""
        create or replace table marts.fct_order_items as
        select o.order_id, o.customer_id, o.ordered_at,
               'P' || cast(floor(random() * 200) as integer) as product_id,
               {list(CATEGORIES)}[1 + cast(floor(random() * {len(CATEGORIES)}) as integer)]
                   as category,
               'M' as size, 1 as quantity, o.net_revenue as unit_price,
               o.gross_total as list_price, o.net_revenue as line_revenue,
               not o.has_discount as is_full_price
        from marts.fct_orders o, unnest(range(1 + (random() < 0.4)::int))
        """
    )
    con.execute(
        """
        create or replace table marts.dim_customers as
        select customer_id, cast(first_day as timestamp) - interval 20 day as signed_up_at
        from sim_customers
        """
    )
    con.execute(_event_sql(), {"as_of": as_of})
    con.execute(
        """
        create or replace table staging.stg_shop__feedback as
        select o.customer_id, o.order_id, o.ordered_at + interval 10 day as submitted_at,
               cast(greatest(0, least(10, round(7 + 2 * c.satisfaction + random() * 2 - 1)))
                    as integer) as nps_score,
               cast(greatest(1, least(5, round(4 + c.satisfaction))) as integer) as csat_score
        from marts.fct_orders o join sim_customers c using (customer_id)
        where random() < 0.3 and o.ordered_at + interval 10 day < cast($as_of as timestamp)
        """,
        {"as_of": as_of},
    )
    con.execute(
        """
        create or replace table staging.stg_shop__shipment_events as
        select order_id, 'label_created' as shipment_status,
               ordered_at + interval 6 hour as occurred_at
        from marts.fct_orders where status <> 'cancelled'
        union all
        select order_id, 'exception', ordered_at + interval 2 day
        from marts.fct_orders where status <> 'cancelled' and has_delivery_problem
        union all
        select order_id, 'delivered', delivered_at
        from marts.fct_orders where status <> 'cancelled'
        """
    )
    con.execute(
        "create or replace table marts.as_of_date as select cast($d as date) as as_of_date",
        {"d": as_of},
    )
    con.execute("drop table sim_orders")
    con.execute("drop table sim_customers")
