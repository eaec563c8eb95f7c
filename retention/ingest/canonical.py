"""The `canonical` format: a folder of table files named as in `naming`, or one such file.

New files append to `raw`; a file loaded before with the same content is skipped and a changed
one replaces only its own rows. `IngestOptions.replace` makes the drop a snapshot instead: each
table it holds files for is replaced by them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import duckdb

from retention.core.errors import InputError
from retention.core.raw_contract import LOAD_ORDER, TABLES
from retention.ingest.csv_files import (
    csv_source,
    map_columns,
    parquet_header,
    parquet_source,
    read_header,
)
from retention.ingest.loader import file_loads, load_table
from retention.ingest.naming import content_hash, single_file_key, table_of
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import (
    current_files,
    refuse_emptying,
    replace_file_rows,
    replace_table_rows,
    row_count,
)
from retention.ingest.report import FileLoad, Writer, Written
from retention.ingest.staging import Source, Staged, check_source

FORMAT = "canonical"


@dataclass(frozen=True)
class DroppedFile:
    """One file of a drop: where it is, its key (name below the drop folder) and content hash."""

    path: Path
    key: str
    sha256: str


@dataclass(frozen=True)
class Discovered:
    """Files per contract table, and files under the folder that name no table."""

    files: dict[str, list[DroppedFile]]
    ignored: tuple[str, ...]


def _dropped(path: Path, key: PurePosixPath) -> DroppedFile:
    return DroppedFile(path, str(key), content_hash(path))


def discover(path: Path, only: tuple[str, ...] | None = None) -> Discovered:
    """Find the table files under `path` (a folder, searched at any depth, or one file).

    `only` limits a folder to these files (paths below it). A folder named after a table holds
    that table's files. Raises InputError for one file naming no table, or a file of `only`
    that does not exist.
    """
    if path.is_file():
        key = single_file_key(path)
        table = table_of(key)
        if table is None:
            raise InputError(
                f"{path}: cannot tell which table this file holds; name it <table>.csv, "
                f"<table>_<anything>.csv (or .parquet) or put it in a folder named <table>, "
                f"with table one of {', '.join(TABLES)}"
            )
        return Discovered({table: [_dropped(path, key)]}, ())
    # a folder named after a table (`drop/orders`) is read as that table's folder
    root = path.parent if path.name.lower() in TABLES else path
    if only is not None:
        candidates = [path / name for name in only]
        missing = [str(c) for c in candidates if not c.is_file()]
        if missing:
            raise InputError(f"{', '.join(missing)}: no such file in {path}; pass existing files")
    else:
        candidates = [p for p in path.rglob("*") if p.is_file()]
    files: dict[str, list[DroppedFile]] = {}
    ignored = []
    for child in sorted(candidates):
        key = PurePosixPath(child.relative_to(root).as_posix())
        table = table_of(key)
        if table is None:
            ignored.append(str(child))
        else:
            files.setdefault(table, []).append(_dropped(child, key))
    return Discovered(files, tuple(ignored))


def plan_sources(
    con: duckdb.DuckDBPyConnection, files: dict[str, list[DroppedFile]], options: IngestOptions
) -> dict[str, list[Source]]:
    """Check every header before loading anything, and build each file's `Source`."""
    plans: dict[str, list[Source]] = {}
    for table, dropped in files.items():
        spec = TABLES[table]
        wanted = {col: (col,) for col in spec.columns}
        columns = tuple(spec.columns)
        for path in (d.path for d in dropped):
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


def to_load(
    con: duckdb.DuckDBPyConnection, found: Discovered, replace: bool
) -> tuple[dict[str, list[DroppedFile]], tuple[str, ...]]:
    """(files to load per table, files skipped as unchanged).

    A file whose key was loaded before with the same content is unchanged, unless `replace`
    (a snapshot of the table is made of every file in the drop), or a file of a parent table
    changed (its removed keys may orphan rows loaded before, so the child files are checked
    again), or it has orphans in quarantine (their parents may have arrived since).
    """
    files: dict[str, list[DroppedFile]] = {}
    unchanged: list[str] = []
    rechecked: set[str] = set()
    for table in LOAD_ORDER:
        dropped = found.files.get(table, [])
        recheck = replace or any(p in rechecked for p, _ in TABLES[table].parents.values())
        loaded = {} if recheck else current_files(con, table)
        for d in dropped:
            if loaded.get(d.key) == d.sha256:
                unchanged.append(str(d.path))
                continue
            files.setdefault(table, []).append(d)
            if recheck or d.key in loaded:
                rechecked.add(table)
    return files, tuple(unchanged)


def prepare(con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions) -> Writer:
    """Discover, check headers and stage every new or changed file; return the step writing `raw`.

    Raises InputError when there are no orders: none in the drop and none loaded before.
    """
    found = discover(path, options.files)
    if "orders" not in found.files and row_count(con, "orders") == 0:
        raise InputError(
            f"{path}: no orders.csv or orders.parquet found (nor orders_<date>.csv, "
            f"orders/<part>.parquet) and raw.orders is empty; add the orders file (the only "
            f"required one), expected columns: {', '.join(TABLES['orders'].columns)}"
        )
    files, unchanged = to_load(con, found, options.replace)
    plans = plan_sources(con, files, options)
    staged = {
        table: [
            check_source(con, source, TABLES[table], options=options) for source in plans[table]
        ]
        for table in LOAD_ORDER
        if table in plans
    }
    keys = {str(d.path): d for dropped in files.values() for d in dropped}

    def write(loaded_at: str) -> Written:
        file_keys = {source: d.key for source, d in keys.items()}
        loads = load_staged(con, staged, loaded_at, options.replace, file_keys)
        keyed = [
            replace(f, file_key=keys[f.source_file].key, file_hash=keys[f.source_file].sha256)
            for f in loads
        ]
        return keyed, 0, found.ignored, unchanged

    return write


def load_staged(
    con: duckdb.DuckDBPyConnection,
    staged: dict[str, list[Staged]],
    loaded_at: str,
    replace: bool = False,
    keys: dict[str, str] | None = None,
) -> list[FileLoad]:
    """Load tables parents first; a parent loaded now or already non-empty is orphan-checked.

    With `replace` each table loaded is emptied first (a snapshot of this drop); else each file
    replaces only the rows of its earlier version (`keys`: source file -> file key), so new
    files append. A load that leaves a table empty though it held rows is refused unless
    `replace`.
    """
    loads: list[FileLoad] = []
    for table, files in staged.items():
        spec = TABLES[table]
        rows_before = row_count(con, table)
        if replace:
            replace_table_rows(con, table, loaded_at)
        else:
            file_keys = {
                f.source_file: (keys or {}).get(f.source_file, Path(f.source_file).name)
                for f in files
            }
            replace_file_rows(con, table, file_keys, loaded_at)
        parents = {
            parent
            for parent, _ in spec.parents.values()
            if parent in staged or con.execute(f"SELECT count(*) FROM raw.{parent}").fetchone()[0]
        }
        load_table(con, spec, files, loaded_at, parents)
        refuse_emptying(con, table, rows_before, [f.source_file for f in files], replace)
        loads += file_loads(con, files, table, table, FORMAT)
    return loads
