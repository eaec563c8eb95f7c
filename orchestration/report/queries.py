"""SQL behind the report and the demo summary: each function returns a small DataFrame.

Every query reads a table a dbt model, the ML layer or the sync engine already computed; the
report only aggregates for display and never re-derives a business rule.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from orchestration.report.warehouse import frame

# Sync runs that sent data: finished, not dry runs.
FINISHED_RUN = "not coalesce(dry_run, false) and finished_at is not null"


def as_of_date(con: duckdb.DuckDBPyConnection) -> str:
    """The build's point-in-time date from `marts.as_of_date` as ISO text."""
    row = con.execute("select max(as_of_date) from marts.as_of_date").fetchone()
    return str(row[0]) if row and row[0] is not None else "unknown"


def headline(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Customers, purchasing customers, purchase orders and net revenue in the warehouse."""
    row = con.execute(
        """
        select
            (select count(*) from marts.dim_customers),
            (select count(distinct customer_id) from marts.fct_orders where is_purchase),
            (select count(*) from marts.fct_orders where is_purchase),
            (select coalesce(sum(net_revenue), 0) from marts.fct_orders where is_purchase)
        """
    ).fetchone()
    customers, buyers, orders, revenue = row
    return {
        "customers": int(customers),
        "buyers": int(buyers),
        "orders": int(orders),
        "revenue": float(revenue),
    }


def rfm_segments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Customers and revenue (monetary) per RFM segment, largest first."""
    return frame(
        con,
        """
        select rfm_segment as segment,
               count(*) as customers,
               coalesce(sum(monetary), 0)::double as revenue,
               avg(recency_days)::double as avg_recency_days
        from marts.customer_rfm
        group by rfm_segment
        order by customers desc, segment
        """,
    )


def monthly_sales(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Net revenue, purchase orders and buying customers per calendar month (cx_metrics)."""
    return frame(
        con,
        """
        select metric_month as month,
               orders_count as orders,
               customers_purchasing as customers,
               revenue::double as revenue,
               repeat_purchase_rate::double as repeat_purchase_rate
        from marts.cx_metrics
        where orders_count > 0
        order by metric_month
        """,
    )


def cohort_retention(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Monthly acquisition cohorts x months since first order with the retention rate."""
    return frame(con, "select * from marts.cohort_retention order by 1, 2")


def clv_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Predicted 365-day CLV and tier for every customer with a prediction."""
    return frame(
        con,
        """
        select customer_id, predicted_clv_365d::double as clv, clv_tier
        from marts.customer_ltv
        where predicted_clv_365d is not null
        """,
    )


def cx_monthly(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """NPS and CSAT with their response counts per month that had feedback."""
    return frame(
        con,
        """
        select metric_month as month,
               nps::double as nps, nps_responses,
               csat::double as csat, csat_responses
        from marts.cx_metrics
        where nps_responses > 0 or csat_responses > 0
        order by metric_month
        """,
    )


def latest_model_run(con: duckdb.DuckDBPyConnection, table: str) -> dict | None:
    """The newest row of `ml.<table>` with `parameters` and `metrics` decoded from JSON."""
    df = frame(con, f"select * from ml.{table} order by trained_at desc limit 1")
    if df.empty:
        return None
    run = df.iloc[0].to_dict()
    for key in ("parameters", "metrics"):
        value = run.get(key)
        if isinstance(value, str):
            run[key] = json.loads(value)
    return run


def audience_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Records held at the destination after every sync run: running sum of added - removed.

    Columns: sync_name, destination, run_at, size (this sync's records), held (the destination's
    records over all its syncs).
    """
    return frame(
        con,
        f"""
        with runs as (
            select sync_name, destination, started_at as run_at,
                   coalesce(added, 0) - coalesce(removed, 0) as change
            from activation.sync_runs
            where {FINISHED_RUN}
        )
        select sync_name, destination, run_at,
               sum(change) over (
                   partition by sync_name order by run_at rows unbounded preceding
               ) as size,
               sum(change) over (
                   partition by destination order by run_at, sync_name rows unbounded preceding
               ) as held
        from runs
        order by run_at, sync_name
        """,
    )


def sync_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every finished (not dry-run) sync run, oldest first."""
    return frame(
        con,
        f"""
        select *
        from activation.sync_runs
        where {FINISHED_RUN}
        order by started_at, destination, sync_name
        """,
    )


def failed_rows(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """Rows that failed in each sync's latest run, with the destination's error text."""
    return frame(
        con,
        f"""
        with latest as (
            select sync_name, arg_max(run_id, started_at) as run_id
            from activation.sync_runs
            where {FINISHED_RUN}
            group by sync_name
        )
        select e.sync_name, r.destination, e.record_key, e.op, e.error
        from activation.sync_row_errors e
        join latest l using (run_id)
        join activation.sync_runs r using (run_id)
        order by e.sync_name, e.record_key
        limit ?
        """,
        [limit],
    )
