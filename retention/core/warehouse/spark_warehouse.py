"""The Warehouse interface on a local Spark session (what dbt-spark `method: session` uses).

Spark's embedded (Derby) metastore admits one process at a time: dbt run in this process
(dbtRunner) shares the session; a dbt subprocess needs `stop_spark()` first.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

import pyarrow as pa

from retention.core.errors import UserError
from retention.core.warehouse.base import DEFAULT_BATCH_ROWS, TableData
from retention.core.warehouse.spark_settings import prepare_spark_environment, spark_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_EXTRA_HINT = (
    "install it with `uv sync --extra spark` (or pip install 'retention-warehouse[spark]')"
)


def spark_session(target: str = "spark") -> SparkSession:
    """The process's Spark session, started with the profile's settings if none is running."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise UserError(
            f"target {target!r} needs PySpark, which is not installed: {SPARK_EXTRA_HINT}"
        ) from error
    prepare_spark_environment()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(target).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def stop_spark() -> None:
    """Stop the session and its JVM, releasing the embedded metastore for another process."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        process.stdin.close()  # the JVM exits when its stdin closes
        process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


class SparkWarehouse:
    """A Spark session; `schema.table` names live in its (Hive) metastore."""

    target = "spark"

    def __init__(self, session: SparkSession) -> None:
        self.session = session

    def execute(self, sql: str) -> None:
        """Run one statement that returns no rows."""
        self.session.sql(sql).collect()

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether `schema.table` exists in the metastore (a table or a view)."""
        return bool(self.session.catalog.tableExists(table, schema))

    def read_batches(
        self, sql: str, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The rows of a query as Arrow record batches, one partition at a time on the driver.

        Timestamps come back naive, in UTC (the session time zone), like DuckDB's TIMESTAMP.
        """
        from pyspark.sql.functions import col
        from pyspark.sql.pandas.types import to_arrow_schema
        from pyspark.sql.types import TimestampType

        frame = self.session.sql(sql)
        frame = frame.select(
            *(
                col(f"`{field.name}`").cast("timestamp_ntz").alias(field.name)
                if isinstance(field.dataType, TimestampType)
                else col(f"`{field.name}`")
                for field in frame.schema.fields
            )
        )
        schema = to_arrow_schema(frame.schema, timezone="UTC", prefers_large_types=False)
        rows = frame.toLocalIterator(prefetchPartitions=False)
        names = schema.names
        empty = True
        while chunk := list(islice(rows, batch_rows)):
            empty = False
            columns = list(zip(*chunk, strict=True))
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(values, type=field.type)
                    for values, field in zip(columns, schema, strict=True)
                ],
                names=names,
            )
        if empty:
            yield pa.RecordBatch.from_pylist([], schema=schema)

    def write_table(
        self, schema: str, table: str, data: TableData, *, append: bool = False
    ) -> None:
        """Create or replace `schema.table` from an Arrow table or DataFrame (or append to it)."""
        self.session.sql(f"create database if not exists {schema}").collect()
        frame = self.session.createDataFrame(data)
        frame.write.mode("append" if append else "overwrite").saveAsTable(f"{schema}.{table}")

    def close(self) -> None:
        """Leave the session running for dbt in this process; `stop_spark()` ends it."""
