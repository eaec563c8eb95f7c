"""Reading the build date and writing ML outputs (schema `ml`) back to the warehouse.

Every function takes a `Warehouse` (DuckDB or Spark) and uses SQL both engines accept.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from ml.artifacts import json_safe
from ml.errors import EmptyDataError, MLError
from ml.sql import WarehouseSource, as_warehouse, timestamp_literal
from retention.core.source_schema import SOURCES_DIR, load_source
from retention.core.warehouse.base import Warehouse, read_table

ML_SOURCES_YML = SOURCES_DIR / "ml" / "_ml__sources.yml"
# The one definition of the ML output tables: source `ml` of ML_SOURCES_YML (dbt creates them
# empty from the same declarations).
ML_TABLES = load_source(ML_SOURCES_YML, "ml").tables
TABLE_DDL = {
    name: ", ".join(f"{column.name} {column.data_type}" for column in table.columns)
    for name, table in ML_TABLES.items()
}
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
}
# What record_run writes (churn_model_runs and clv_model_runs declare the same columns).
RUN_SCHEMA = pa.schema(
    [(c.name, _ARROW_TYPES[c.data_type]) for c in ML_TABLES["churn_model_runs"].columns]
)


def _ddl(engine: str, ddl: str) -> str:
    """Column DDL for `engine`: Spark spells strings and JSON as STRING (as dbt's macro does)."""
    if engine == "spark":
        return ddl.replace("VARCHAR", "STRING").replace("JSON", "STRING")
    return ddl


def ensure_ml_tables(source: WarehouseSource) -> None:
    """Create schema `ml` and any missing output table (same columns as dbt's macro)."""
    warehouse = as_warehouse(source)
    warehouse.execute("create schema if not exists ml")
    for name, ddl in TABLE_DDL.items():
        warehouse.execute(f"create table if not exists ml.{name} ({_ddl(warehouse.target, ddl)})")


def _scalar(warehouse: Warehouse, sql: str) -> Any:
    rows = read_table(warehouse, sql).to_pylist()
    return next(iter(rows[0].values())) if rows else None


def read_as_of(warehouse: Warehouse) -> date:
    """The build's point-in-time date from `marts.as_of_date`."""
    if not warehouse.table_exists("marts", "as_of_date"):
        raise MLError("marts.as_of_date is missing: run `retention build` (dbt) before scoring.")
    value = _scalar(warehouse, "select as_of_date from marts.as_of_date")
    if value is None:
        raise EmptyDataError("marts.as_of_date is empty: there are no orders to date the build.")
    return value


def require_orders(warehouse: Warehouse, as_of: date) -> None:
    """Refuse an absent or empty `marts.fct_orders` (before `as_of`) with a clear message."""
    if not warehouse.table_exists("marts", "fct_orders"):
        raise MLError("marts.fct_orders is missing: run `retention build` (dbt) first.")
    count = _scalar(
        warehouse,
        "select count(*) from marts.fct_orders "
        f"where is_purchase and ordered_at < {timestamp_literal(as_of)}",
    )
    if count == 0:
        raise EmptyDataError(
            f"marts.fct_orders has no purchase (non-cancelled, non-returned order) before "
            f"{as_of}: ingest orders (retention ingest PATH) or choose a later --as-of."
        )


def all_customers(warehouse: Warehouse) -> pd.DataFrame:
    """Every known customer id (dim_customers and order customers)."""
    return read_table(
        warehouse,
        """
        select customer_id from marts.dim_customers where customer_id is not null
        union
        select customer_id from marts.fct_orders where customer_id is not null
        order by customer_id
        """,
    ).to_pandas()


def replace_table(warehouse: Warehouse, table: str, frame: pd.DataFrame) -> None:
    """Replace `ml.<table>` with the rows of `frame` in one statement (NaN is written as NULL)."""
    warehouse.write_table("ml", table, pa.Table.from_pandas(frame, preserve_index=False))


def record_run(
    warehouse: Warehouse,
    table: str,
    *,
    run_id: str,
    trained_at: datetime,
    window: tuple[date, date],
    parameters: dict[str, Any],
    metrics: dict[str, Any],
) -> None:
    """Append one fit/training to `ml.<table>` (churn_model_runs or clv_model_runs)."""
    row = pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "trained_at": trained_at,
                "data_window_start": window[0],
                "data_window_end": window[1],
                "parameters": json.dumps(json_safe(parameters)),
                "metrics": json.dumps(json_safe(metrics)),
            }
        ],
        schema=RUN_SCHEMA,
    )
    warehouse.write_table("ml", table, row, append=True)
