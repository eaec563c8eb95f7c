"""Read-only access to the warehouse for the report and the demo summary."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.errors import UserError
from orchestration.warehouse_lock import read_lock

_LOCK_PID = re.compile(r"\(PID (\d+)\)")


class WarehouseMissingError(UserError):
    """The DuckDB file does not exist yet."""


class WarehouseLockedError(UserError):
    """Another process holds the DuckDB file's write lock."""


def lock_message(path: Path, exc: duckdb.Error) -> str | None:
    """One-line explanation of a DuckDB lock conflict on `path`; None if `exc` is not one."""
    text = str(exc)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return None
    match = _LOCK_PID.search(text)
    holder = f"process {match.group(1)}" if match else "another process"
    return (
        f"the warehouse {path} is locked by {holder} (a build, sync or Dagster run is writing "
        "to it): wait for it to finish or stop it, then run the command again"
    )


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
    with read_lock(path, on_wait=on_wait):
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            message = lock_message(path, exc)
            if message is None:
                raise
            raise WarehouseLockedError(message) from exc
        try:
            yield con
        finally:
            con.close()


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
