"""Read-only access to the warehouse for the report and the demo summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from retention.core.errors import UserError
from retention.core.lock import connect


class WarehouseMissingError(UserError):
    """The DuckDB file does not exist yet."""


@contextmanager
def read_only(
    path: Path, on_wait: Callable[[str], None] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only; a missing or locked file becomes a one-line UserError.

    Takes the shared warehouse lock first, so a running build is waited for (`on_wait` is told)
    rather than failed on; a writer that bypasses that lock gives WarehouseLockedError.
    """
    if not path.is_file():
        raise WarehouseMissingError(
            f"no warehouse at {path}: run `retention demo`, or `retention ingest PATH` then "
            "`retention build`, or set RETENTION_DUCKDB_PATH to an existing file"
        )
    with connect(path, read_only=True, on_wait=on_wait) as con:
        yield con


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when `schema.name` exists as a table or view."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """Run `sql` and return a pandas DataFrame."""
    return con.execute(sql, params or []).df()
