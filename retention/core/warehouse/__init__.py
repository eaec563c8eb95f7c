"""One small warehouse interface over DuckDB and Spark, chosen by dbt target name."""

from retention.core.warehouse.base import Warehouse, copy_table, read_chunks, read_table
from retention.core.warehouse.factory import open_warehouse, warehouse_engine

__all__ = [
    "Warehouse",
    "copy_table",
    "open_warehouse",
    "read_chunks",
    "read_table",
    "warehouse_engine",
]
