"""The Warehouse interface on a DuckDB connection (the embedded default engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from retention.core.duckdb_memory import apply_memory_settings
from retention.core.warehouse.base import DEFAULT_BATCH_ROWS, TableData


class DuckDBWarehouse:
    """A DuckDB connection; streams query results through DuckDB's Arrow reader."""

    target = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> DuckDBWarehouse:
        """Connect to the warehouse file at `path`, memory bounded (core.duckdb_memory)."""
        return cls(apply_memory_settings(duckdb.connect(str(path), read_only=read_only)))

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def execute(self, sql: str) -> None:
        """Run one statement that returns no rows."""
        self.con.execute(sql)

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether `schema.table` exists (a table or a view)."""
        query = (
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?"
        )
        return self.con.execute(query, [schema, table]).fetchall()[0][0] > 0

    def read_batches(
        self, sql: str, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The rows of a query as Arrow record batches (at least one, maybe empty)."""
        reader = self.con.sql(sql).to_arrow_reader(batch_rows)
        empty = True
        for batch in reader:
            empty = False
            yield batch
        if empty:
            yield pa.RecordBatch.from_pylist([], schema=reader.schema)

    def write_table(
        self, schema: str, table: str, data: TableData, *, append: bool = False
    ) -> None:
        """Create or replace `schema.table` from an Arrow table or DataFrame (or append to it)."""
        name = f"_warehouse_write_{table}"
        self.con.register(name, data)
        try:
            self.con.execute(f"create schema if not exists {schema}")
            if append:
                self.con.execute(f"insert into {schema}.{table} by name select * from {name}")
            else:
                self.con.execute(
                    f"create or replace table {schema}.{table} as select * from {name}"
                )
        finally:
            self.con.unregister(name)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()
