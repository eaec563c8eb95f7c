"""The `canonical` format: a folder of `<table>.csv` / `<table>.parquet` files, or one such file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from retention.core.errors import InputError
from retention.core.raw_contract import LOAD_ORDER, TABLES
from retention.ingest.csv_files import (
    CSV_SUFFIXES,
    csv_source,
    map_columns,
    parquet_header,
    parquet_source,
    read_header,
)
from retention.ingest.loader import file_loads, load_table
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import refuse_emptying, replace_table_rows, row_count
from retention.ingest.report import FileLoad, Writer
from retention.ingest.staging import Source, Staged, check_source

FORMAT = "canonical"


@dataclass(frozen=True)
class Discovered:
    """Files per contract table, and files in the folder that name no table."""

    files: dict[str, list[Path]]
    ignored: tuple[str, ...]


def _table_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in (*CSV_SUFFIXES, ".parquet"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem in TABLES else None
    return None


def discover(path: Path) -> Discovered:
    """Find the contract files under `path` (a folder, or one file whose stem names a table)."""
    if path.is_file():
        table = _table_of(path)
        if table is None:
            raise InputError(
                f"{path}: cannot tell which table this file holds; name it <table>.csv or "
                f"<table>.parquet with table one of {', '.join(TABLES)}"
            )
        return Discovered({table: [path]}, ())
    files: dict[str, list[Path]] = {}
    ignored = []
    for child in sorted(p for p in path.iterdir() if p.is_file()):
        table = _table_of(child)
        if table is None:
            ignored.append(str(child))
        else:
            files.setdefault(table, []).append(child)
    if "orders" not in files:
        raise InputError(
            f"{path}: no orders.csv or orders.parquet found (the only required file); "
            f"expected columns: {', '.join(TABLES['orders'].columns)}"
        )
    return Discovered(files, tuple(ignored))


def plan_sources(
    con: duckdb.DuckDBPyConnection, files: dict[str, list[Path]], options: IngestOptions
) -> dict[str, list[Source]]:
    """Check every header before loading anything, and build each file's `Source`."""
    plans: dict[str, list[Source]] = {}
    for table, paths in files.items():
        spec = TABLES[table]
        wanted = {col: (col,) for col in spec.columns}
        columns = tuple(spec.columns)
        for path in paths:
            what = f"table {table}"
            if path.suffix.lower() == ".parquet":
                header = parquet_header(con, path)
                mapping = map_columns(path, header, wanted, spec.required, what)
                source = parquet_source(path, table, header, mapping, columns)
            else:
                delimiter, header = read_header(path)
                mapping = map_columns(path, header, wanted, spec.required, what)
                source = csv_source(path, table, delimiter, header, mapping, columns, options)
            plans.setdefault(table, []).append(source)
    return plans


def prepare(con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions) -> Writer:
    """Discover, check headers and stage every file; return the step writing `raw`."""
    found = discover(path)
    plans = plan_sources(con, found.files, options)
    staged = {
        table: [
            check_source(con, source, TABLES[table], options=options) for source in plans[table]
        ]
        for table in LOAD_ORDER
        if table in plans
    }

    def write(loaded_at: str) -> tuple[list[FileLoad], int, tuple[str, ...]]:
        return load_staged(con, staged, loaded_at, options.replace), 0, found.ignored

    return write


def load_staged(
    con: duckdb.DuckDBPyConnection,
    staged: dict[str, list[Staged]],
    loaded_at: str,
    replace: bool = False,
) -> list[FileLoad]:
    """Load tables parents first; a parent loaded now or already non-empty is orphan-checked.

    A table whose files yield no loadable row is not emptied unless `replace`.
    """
    loads: list[FileLoad] = []
    for table, files in staged.items():
        spec = TABLES[table]
        rows_before = row_count(con, table)
        replace_table_rows(con, table)
        parents = {
            parent
            for parent, _ in spec.parents.values()
            if parent in staged or con.execute(f"SELECT count(*) FROM raw.{parent}").fetchone()[0]
        }
        load_table(con, spec, files, loaded_at, parents)
        refuse_emptying(con, table, rows_before, [f.source_file for f in files], replace)
        loads += file_loads(con, files, table, table, FORMAT)
    return loads
