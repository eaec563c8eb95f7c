"""Reading the build date and writing ML outputs (schema `ml`) back to the warehouse."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from ml.artifacts import json_safe
from ml.errors import EmptyDataError, MLError

RUN_COLUMNS = "run_id, trained_at, data_window_start, data_window_end, parameters, metrics"

TABLE_DDL = {
    "churn_scores": """customer_id VARCHAR, churn_probability DOUBLE, risk_band VARCHAR,
        score_reason VARCHAR, model_version VARCHAR, scored_at TIMESTAMP""",
    "clv_predictions": """customer_id VARCHAR, p_alive DOUBLE, expected_purchases_90d DOUBLE,
        expected_purchases_365d DOUBLE, expected_avg_order_value DOUBLE,
        predicted_clv_365d DOUBLE, score_reason VARCHAR, model_run_id VARCHAR,
        scored_at TIMESTAMP""",
    "churn_model_runs": """run_id VARCHAR, trained_at TIMESTAMP, data_window_start DATE,
        data_window_end DATE, parameters JSON, metrics JSON""",
    "clv_model_runs": """run_id VARCHAR, trained_at TIMESTAMP, data_window_start DATE,
        data_window_end DATE, parameters JSON, metrics JSON""",
}


def ensure_ml_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `ml` and any missing output table (same columns as dbt's macro)."""
    con.execute("create schema if not exists ml")
    for name, ddl in TABLE_DDL.items():
        con.execute(f"create table if not exists ml.{name} ({ddl})")


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    query = (
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    )
    return con.execute(query, [schema, name]).fetchall()[0][0] > 0


def read_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The build's point-in-time date from `marts.as_of_date`."""
    if not _table_exists(con, "marts", "as_of_date"):
        raise MLError("marts.as_of_date is missing: run `retention build` (dbt) before scoring.")
    rows = con.execute("select as_of_date from marts.as_of_date").fetchall()
    if not rows or rows[0][0] is None:
        raise EmptyDataError("marts.as_of_date is empty: there are no orders to date the build.")
    return rows[0][0]


def require_orders(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Refuse an absent or empty `marts.fct_orders` (before `as_of`) with a clear message."""
    if not _table_exists(con, "marts", "fct_orders"):
        raise MLError("marts.fct_orders is missing: run `retention build` (dbt) first.")
    count = con.execute(
        "select count(*) from marts.fct_orders where is_purchase and ordered_at < ?",
        [datetime.combine(as_of, datetime.min.time())],
    ).fetchall()[0][0]
    if count == 0:
        raise EmptyDataError(
            f"marts.fct_orders has no purchase (non-cancelled, non-returned order) before "
            f"{as_of}: ingest orders (retention ingest PATH) or choose a later --as-of."
        )


def all_customers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every known customer id (dim_customers and order customers)."""
    return con.execute(
        """
        select customer_id from marts.dim_customers where customer_id is not null
        union
        select customer_id from marts.fct_orders where customer_id is not null
        order by customer_id
        """
    ).df()


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Atomically replace all rows of `ml.<table>` with `frame` (same column names)."""
    columns = ", ".join(frame.columns)
    con.register("_ml_new_rows", frame)
    try:
        con.execute("begin transaction")
        con.execute(f"delete from ml.{table}")
        con.execute(f"insert into ml.{table} ({columns}) select {columns} from _ml_new_rows")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_ml_new_rows")


def record_run(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    run_id: str,
    trained_at: datetime,
    window: tuple[date, date],
    parameters: dict[str, Any],
    metrics: dict[str, Any],
) -> None:
    """Append one fit/training to `ml.<table>` (churn_model_runs or clv_model_runs)."""
    con.execute(
        f"insert into ml.{table} ({RUN_COLUMNS}) values (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            trained_at,
            window[0],
            window[1],
            json.dumps(json_safe(parameters)),
            json.dumps(json_safe(metrics)),
        ],
    )
