"""Load checked rows into `raw.<table>`: duplicates and orphans flagged set-wise, the rest inserted.

Every row of every staged file ends up either in the raw table or in the pending quarantine.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from retention.core.raw_contract import TableSpec
from retention.ingest.raw_tables import (
    PENDING_QUARANTINE,
    ident,
    insert_into,
    literal,
    refuse_emptying,
    replace_table_rows,
    row_count,
)
from retention.ingest.report import FileLoad, Written
from retention.ingest.rules import csv_text_expr
from retention.ingest.staging import Staged, unique_name


def union_view(con: duckdb.DuckDBPyConnection, staged: list[Staged], prefix: str) -> str:
    """A temp view over all staged files with `_file` and `_line`."""
    view = unique_name(prefix)
    body = " UNION ALL ".join(s.lined_sql() for s in staged)
    con.execute(f"CREATE TEMP VIEW {view} AS {body}")
    return view


def quarantine_invalid(con: duckdb.DuckDBPyConnection, view: str, table_name: str) -> None:
    """Queue the rows whose own values broke a rule (`_reason` set)."""
    con.execute(
        f"INSERT INTO {PENDING_QUARANTINE} SELECT _file, _line, _raw, {literal(table_name)}, "
        f"_reason FROM {view} WHERE _reason IS NOT NULL"
    )


def load_table(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    staged: list[Staged],
    loaded_at: str,
    check_parents: set[str],
) -> None:
    """Insert the valid rows of `staged` into `raw.<spec.name>` and queue every other row.

    A primary key repeated within one file keeps its first row (the others are quarantined); the
    same key in several files is several versions of the row, which staging resolves latest-wins.
    Rows whose parent key is absent from a parent table named in `check_parents` are orphans.
    """
    view = union_view(con, staged, f"all_{spec.name}")
    quarantine_invalid(con, view, spec.name)
    flags = unique_name(f"flags_{spec.name}")
    con.execute(f"CREATE TEMP TABLE {flags} (_file VARCHAR, _line BIGINT, reason VARCHAR)")
    if spec.primary_key:
        _flag_duplicates(con, spec, view, flags)
    for col, (parent, parent_col) in spec.parents.items():
        if parent in check_parents:
            _flag_orphans(con, view, flags, col, parent, parent_col)
    has_flags = con.execute(f"SELECT count(*) FROM {flags}").fetchone()[0] > 0
    not_flagged = (
        f" AND NOT EXISTS (SELECT 1 FROM {flags} f WHERE f._file = v._file AND f._line = v._line)"
        if has_flags
        else ""
    )
    cols = ", ".join(f"v.{ident(c)}" for c in spec.columns)
    con.execute(
        f"{insert_into(spec.name)} SELECT {cols}, v._file, v._line, "
        f"TIMESTAMP {literal(loaded_at)} "
        f"FROM {view} v WHERE v._reason IS NULL{not_flagged}"
    )
    if has_flags:
        text = csv_text_expr([f"CAST(v.{ident(c)} AS VARCHAR)" for c in spec.columns], ",")
        con.execute(
            f"INSERT INTO {PENDING_QUARANTINE} SELECT f._file, f._line, {text}, "
            f"{literal(spec.name)}, f.reason FROM {flags} f JOIN {view} v "
            f"ON f._file = v._file AND f._line = v._line"
        )


def _flag_duplicates(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, view: str, flags: str
) -> None:
    key = ", ".join(ident(c) for c in spec.primary_key)
    dup_keys = unique_name(f"dupkeys_{spec.name}")
    con.execute(
        f"CREATE TEMP TABLE {dup_keys} AS SELECT _file, {key} FROM {view} WHERE _reason IS NULL "
        f"GROUP BY ALL HAVING count(*) > 1"
    )
    if con.execute(f"SELECT count(*) FROM {dup_keys}").fetchone()[0] == 0:
        return
    shown = " || ', ' || ".join(
        f"'{c}=' || coalesce(CAST(v.{ident(c)} AS VARCHAR), 'NULL')" for c in spec.primary_key
    )
    match = " AND ".join(
        ["v._file = d._file"]
        + [f"v.{ident(c)} IS NOT DISTINCT FROM d.{ident(c)}" for c in spec.primary_key]
    )
    con.execute(
        f"INSERT INTO {flags} SELECT _file, _line, 'duplicate primary key (' || key_text || '): "
        f"first row kept at line ' || first_line || ' of ' || first_file FROM ("
        f"SELECT v._file, v._line, {shown} AS key_text, "
        f"row_number() OVER w AS rn, first_value(v._line) OVER w AS first_line, "
        f"first_value(v._file) OVER w AS first_file "
        f"FROM {view} v JOIN {dup_keys} d ON {match} WHERE v._reason IS NULL "
        f"WINDOW w AS (PARTITION BY v._file, "
        f"{', '.join(f'v.{ident(c)}' for c in spec.primary_key)} "
        f"ORDER BY v._line)) WHERE rn > 1"
    )


def _flag_orphans(
    con: duckdb.DuckDBPyConnection, view: str, flags: str, col: str, parent: str, parent_col: str
) -> None:
    con.execute(
        f"INSERT INTO {flags} SELECT v._file, v._line, 'orphan: {col} ' || '''' || v.{ident(col)} "
        f"|| '''' || ' not found in {parent}' FROM {view} v WHERE v._reason IS NULL "
        f"AND v.{ident(col)} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM raw.{parent} p "
        f"WHERE p.{ident(parent_col)} = v.{ident(col)}) "
        f"AND NOT EXISTS (SELECT 1 FROM {flags} f WHERE f._file = v._file AND f._line = v._line)"
    )


def file_loads(
    con: duckdb.DuckDBPyConnection,
    staged: list[Staged],
    table: str,
    loaded_into: str | None,
    fmt: str,
) -> list[FileLoad]:
    """Per-file counts: read (from staging), loaded (rows with that `_source_file` in
    `raw.<loaded_into>`, or valid rows when None) and quarantined (pending rows)."""
    result = []
    for s in staged:
        quarantined = con.execute(
            f"SELECT count(*) FROM {PENDING_QUARANTINE} WHERE source_file = ? AND table_name = ?",
            [s.source_file, table],
        ).fetchone()[0]
        if loaded_into is None:
            loaded = con.execute(
                f"SELECT count(*) FROM {s.checked} WHERE _reason IS NULL"
            ).fetchone()[0]
        else:
            loaded = con.execute(
                f"SELECT count(*) FROM raw.{loaded_into} WHERE _source_file = ?", [s.source_file]
            ).fetchone()[0]
        result.append(FileLoad(s.source_file, table, fmt, s.rows_read, loaded, quarantined))
    return result


def replace_from_export(
    con: duckdb.DuckDBPyConnection,
    view: str,
    staged: list[Staged],
    *,
    entity: str,
    fmt: str,
    tables: tuple[str, ...],
    write_rows: Callable[[], int],
    replace: bool,
    loaded_at: str,
) -> Written:
    """Load an order export whose lines feed several raw tables (CDNOW, Online Retail, Shopify).

    Its invalid lines go to the quarantine, `tables` are replaced by `write_rows()` (which
    returns how many valid lines had no customer), and `raw.orders` is never emptied unless
    `replace`. Returns the writer's result: per-file loads, anonymous lines, no skipped files.
    """
    quarantine_invalid(con, view, entity)
    con.execute("DELETE FROM raw.quarantine WHERE table_name = ?", [entity])
    rows_before = row_count(con, "orders")
    for table in tables:
        replace_table_rows(con, table, loaded_at)
    anonymous = write_rows()
    refuse_emptying(con, "orders", rows_before, [s.source_file for s in staged], replace)
    return file_loads(con, staged, entity, None, fmt), anonymous, (), ()
