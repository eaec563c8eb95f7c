"""One build of the sample store on DuckDB and on local Spark, shared by the `spark` group.

The comparison skips (with the reason) only when the optional Spark extra is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_build import DBT_PROJECT_DIR, build_duckdb, build_spark, environment

from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse
from retention.core.warehouse.spark_warehouse import SparkWarehouse, spark_session, stop_spark

CUSTOMERS = 300
SEED = 11


@pytest.fixture(scope="session")
def spark_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder both builds write to."""
    return tmp_path_factory.mktemp("engines")


@pytest.fixture(scope="session")
def duckdb_build(spark_work: Path) -> Path:
    """The DuckDB file with the sample store built, scored and its audiences built."""
    pytest.importorskip("pyspark", reason="the Spark extra is not installed: uv sync --extra spark")
    return build_duckdb(spark_work / "duckdb", CUSTOMERS, SEED, DBT_PROJECT_DIR)


@pytest.fixture(scope="session")
def spark_build(spark_work: Path, duckdb_build: Path) -> Iterator[SparkWarehouse]:
    """A Spark session (metastore under spark_work) with the same raw + ML inputs, built."""
    work = spark_work / "spark"
    # two shuffle partitions: the test data is tiny and the CI machine has two cores
    with environment(
        RETENTION_SPARK_DIR=str(work / "metastore"), RETENTION_SPARK_SHUFFLE_PARTITIONS="2"
    ):
        warehouse = SparkWarehouse(spark_session())
        try:
            build_spark(duckdb_build, warehouse, work, DBT_PROJECT_DIR)
            yield warehouse
        finally:
            stop_spark()


@pytest.fixture(scope="session")
def duckdb_warehouse(duckdb_build: Path) -> Iterator[DuckDBWarehouse]:
    """The DuckDB side of the comparison."""
    with DuckDBWarehouse.open(duckdb_build) as warehouse:
        yield warehouse
