"""The one small interface ML, activation and tests use to reach the active warehouse engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa

DEFAULT_BATCH_ROWS = 100_000

TableData = pa.Table | pd.DataFrame


@runtime_checkable
class Warehouse(Protocol):
    """A DuckDB connection or a Spark session behind the same few calls.

    Names are two-part (`schema.table`) on every engine: never rely on a database/catalog part.
    Reads stream in batches so no caller pulls an unbounded table into memory at once.
    """

    target: str

    def execute(self, sql: str) -> None:
        """Run one statement that returns no rows (DDL, insert, delete)."""
        ...

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether `schema.table` exists (a table or a view)."""
        ...

    def read_batches(
        self, sql: str, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The rows of a query as Arrow record batches of at most `batch_rows` rows.

        Always yields at least one batch (an empty one for an empty result), so the schema is
        known even without rows.
        """
        ...

    def write_table(
        self, schema: str, table: str, data: TableData, *, append: bool = False
    ) -> None:
        """Create or replace `schema.table` with `data` (or append to it with `append=True`)."""
        ...

    def close(self) -> None:
        """Release the connection or session."""
        ...


def read_chunks(
    warehouse: Warehouse, sql: str, chunk_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pd.DataFrame]:
    """The rows of a query as pandas DataFrames of at most `chunk_rows` rows."""
    for batch in warehouse.read_batches(sql, chunk_rows):
        yield batch.to_pandas()


def read_table(warehouse: Warehouse, sql: str) -> pa.Table:
    """A whole (small, bounded) query result as one Arrow table; use read_batches for big ones."""
    return pa.Table.from_batches(list(warehouse.read_batches(sql)))


def copy_table(
    source: Warehouse,
    target: Warehouse,
    schema: str,
    table: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> int:
    """Copy `schema.table` from one warehouse to another batch by batch; returns rows copied."""
    rows = 0
    for index, batch in enumerate(
        source.read_batches(f"select * from {schema}.{table}", batch_rows)
    ):
        target.write_table(schema, table, pa.Table.from_batches([batch]), append=index > 0)
        rows += batch.num_rows
    return rows
