"""SQL behind the report and the demo summary: each function returns a small DataFrame.

Every query reads a table a dbt model, the ML layer or the sync engine already computed; the
report only aggregates for display and never re-derives a business rule.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from retention.report.reader import frame


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


def _decoded(df: pd.DataFrame) -> dict | None:
    """The first row of a model-runs frame with `parameters` and `metrics` decoded from JSON."""
    if df.empty:
        return None
    run = df.iloc[0].to_dict()
    for key in ("parameters", "metrics"):
        value = run.get(key)
        if isinstance(value, str):
            run[key] = json.loads(value)
    return run


def churn_scoring_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The `ml.churn_model_runs` row whose model produced the rows now in `ml.churn_scores`.

    A build that reuses a model trained earlier records no new run, so the newest run may be
    another build's (e.g. an `--as-of` build after the default one): the run is matched on the
    scores' `model_version` (unique per data window, data and config); a run that trained no
    model is matched on its time, which is the scores' `scored_at`. None when nothing matches.
    """
    if not (_columns(con, "ml", "churn_scores") and _columns(con, "ml", "churn_model_runs")):
        return None
    return _decoded(
        frame(
            con,
            """
            with scores as (
                select any_value(model_version) as version, max(scored_at) as scored_at
                from ml.churn_scores
            )
            select r.* from ml.churn_model_runs r, scores s
            where json_extract_string(r.parameters, '$.model_version') = s.version
              and (s.version <> 'not_trained' or r.trained_at = s.scored_at)
            order by r.trained_at desc
            limit 1
            """,
        )
    )


def clv_scoring_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The `ml.clv_model_runs` row of the fit that wrote `ml.clv_predictions` (its
    `model_run_id`); None when there are no predictions or runs."""
    if not (_columns(con, "ml", "clv_predictions") and _columns(con, "ml", "clv_model_runs")):
        return None
    return _decoded(
        frame(
            con,
            "select * from ml.clv_model_runs where run_id = "
            "(select any_value(model_run_id) from ml.clv_predictions)",
        )
    )


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def audience_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every finished sync run with the size of the audience it synced, oldest first.

    Columns: sync_name, destination, audience_model, target, run_at, size (dbt model
    `marts.rpt_sync_history`, which falls back for runs recorded before sizes were kept).
    """
    return frame(
        con,
        """
        select sync_name, destination, audience_model, target, started_at as run_at,
               audience_size as size
        from marts.rpt_sync_history
        order by sync_name, run_at
        """,
    )


def audience_descriptions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Audience model -> its dbt description (persisted as the table comment by persist_docs)."""
    rows = con.execute(
        "select table_name, comment from duckdb_tables() "
        "where schema_name = 'audiences' and comment is not null"
    ).fetchall()
    return {name: comment for name, comment in rows}


def currencies(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Purchase orders and net revenue per order currency, the largest revenue first."""
    return frame(
        con,
        """
        select coalesce(currency, '') as currency, count(*) as orders,
               coalesce(sum(net_revenue), 0)::double as revenue
        from marts.fct_orders
        where is_purchase
        group by 1
        order by revenue desc, currency
        """,
    )


def sync_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every finished (not dry-run) sync run, oldest first, with the drift its read-back found:
    `missing_at_provider` (members the provider lost) and `unexpected_at_provider`."""
    return frame(
        con,
        "select * from marts.rpt_sync_history order by started_at, destination, sync_name",
    )


def failed_rows(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """Rows that failed in each sync's latest run, with the destination's error text."""
    return frame(
        con,
        """
        with latest as (
            select sync_name, arg_max(run_id, started_at) as run_id,
                   arg_max(destination, started_at) as destination
            from marts.rpt_sync_history
            group by sync_name
        )
        select e.sync_name, l.destination, e.record_key, e.op, e.error
        from activation.sync_row_errors e
        join latest l using (run_id)
        order by e.sync_name, e.record_key
        limit ?
        """,
        [limit],
    )
