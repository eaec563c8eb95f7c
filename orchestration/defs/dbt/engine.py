"""The active dbt target's warehouse inside one step: the locked DuckDB file or local Spark.

Spark's embedded metastore admits one process at a time, so a step that opens Spark stops it
on exit, before the next step's dbt process starts its own session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from orchestration.defs.ingest.assets import RAW_SCHEMA
from orchestration.defs.warehouse_resource import WarehouseResource
from retention.core.warehouse import copy_table, open_warehouse, warehouse_engine
from retention.core.warehouse.base import Warehouse
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse


@contextmanager
def engine_warehouse(
    warehouse: WarehouseResource, target: str, *, write: bool = False
) -> Iterator[Warehouse]:
    """The warehouse of dbt target `target` for one step, released (Spark stopped) on exit."""
    if warehouse_engine(target) == "duckdb":
        with warehouse.write() if write else warehouse.read() as con:
            yield DuckDBWarehouse(con)
        return
    from retention.core.warehouse.spark_warehouse import stop_spark

    try:
        with open_warehouse(target) as engine:
            yield engine
    finally:
        stop_spark()


def copy_raw_tables(warehouse: WarehouseResource, target: str) -> list[str]:
    """Copy every `raw.*` table from the DuckDB file (where ingest writes) into `target`.

    A no-op for a DuckDB target; returns the tables copied.
    """
    if warehouse_engine(target) == "duckdb":
        return []
    with warehouse.read() as con, engine_warehouse(warehouse, target) as engine:
        source = DuckDBWarehouse(con)
        names = [
            name
            for (name,) in source.con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? order by table_name",
                [RAW_SCHEMA],
            ).fetchall()
        ]
        for name in names:
            copy_table(source, engine, RAW_SCHEMA, name)
    return names
