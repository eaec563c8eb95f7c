"""Open the Warehouse of a dbt target: `duckdb` (a file) or a local Spark session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retention.core import settings
from retention.core.warehouse.base import Warehouse
from retention.core.warehouse.spark_settings import target_output


def warehouse_engine(target: str) -> str:
    """The engine (`duckdb` or `spark`) of a dbt target in dbt_project/profiles.yml."""
    return str(target_output(target)["type"])


@contextmanager
def open_warehouse(
    target: str = "duckdb", *, duckdb_path: Path | None = None, read_only: bool = False
) -> Iterator[Warehouse]:
    """The warehouse of dbt target `target`, closed on exit.

    DuckDB opens `duckdb_path` (default env `RETENTION_DUCKDB_PATH`); Spark starts or joins
    this process's session with the target's settings.
    """
    engine = warehouse_engine(target)
    warehouse: Warehouse
    if engine == "duckdb":
        from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse

        path = duckdb_path or settings.duckdb_path()
        warehouse = DuckDBWarehouse.open(path, read_only=read_only)
    elif engine == "spark":
        from retention.core.warehouse.spark_warehouse import SparkWarehouse, spark_session

        warehouse = SparkWarehouse(spark_session(target))
    else:
        from retention.core.errors import UserError

        raise UserError(f"dbt target {target!r} has type {engine!r}; supported: duckdb, spark")
    try:
        yield warehouse
    finally:
        warehouse.close()
