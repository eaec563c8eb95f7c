"""The `raw` schema: contract tables, `raw.quarantine` and `raw.load_log`, and their upkeep."""

from __future__ import annotations

import duckdb

from retention.core.errors import InputError
from retention.core.raw_contract import LINEAGE_COLUMNS, TABLES, TableSpec

QUARANTINE_COLUMNS = {
    "source_file": "VARCHAR",
    "line_number": "BIGINT",
    "raw_text": "VARCHAR",
    "table_name": "VARCHAR",
    "reason": "VARCHAR",
    "loaded_at": "TIMESTAMP",
}
LOAD_LOG_COLUMNS = {
    "load_id": "VARCHAR",
    "source_file": "VARCHAR",
    "table_name": "VARCHAR",
    "format": "VARCHAR",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_quarantined": "BIGINT",
    "loaded_at": "TIMESTAMP",
    # the file's name below the folder ingested (its identity across drops) and SHA-256
    "file_key": "VARCHAR",
    "file_hash": "VARCHAR",
    # when a later load replaced this file's rows (NULL: the rows in raw are this load's)
    "superseded_at": "TIMESTAMP",
}
# Rows waiting for `raw.quarantine` during one run (temp table, same columns minus loaded_at).
PENDING_QUARANTINE = "_pending_quarantine"


def ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _columns_sql(columns: dict[str, str]) -> str:
    return ", ".join(f"{ident(name)} {dtype}" for name, dtype in columns.items())


def raw_columns(spec: TableSpec) -> dict[str, str]:
    """Columns of `raw.<table>`: the contract columns plus lineage."""
    return {**spec.columns, **LINEAGE_COLUMNS}


def insert_into(table: str) -> str:
    """`INSERT INTO raw.<table> (columns...)` naming every column, so column order never matters."""
    names = ", ".join(ident(c) for c in raw_columns(TABLES[table]))
    return f"INSERT INTO raw.{table} ({names})"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `raw` with every contract table (empty), quarantine and load_log if absent.

    All seven tables always exist so dbt sources resolve even when a store lacks some files.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for spec in TABLES.values():
        con.execute(
            f"CREATE TABLE IF NOT EXISTS raw.{spec.name} ({_columns_sql(raw_columns(spec))})"
        )
        # a warehouse made before a contract column was added gets it (NULL in old rows)
        for name, dtype in spec.columns.items():
            con.execute(
                f"ALTER TABLE raw.{spec.name} ADD COLUMN IF NOT EXISTS {ident(name)} {dtype}"
            )
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.quarantine ({_columns_sql(QUARANTINE_COLUMNS)})")
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.load_log ({_columns_sql(LOAD_LOG_COLUMNS)})")
    _upgrade_load_log(con)


def _upgrade_load_log(con: duckdb.DuckDBPyConnection) -> None:
    """Give a load log from before per-file loads its key columns: each old row's key is its
    file name, and every load of a table but its last counts as superseded (snapshot loads)."""
    missing = [
        name
        for name in ("file_key", "file_hash", "superseded_at")
        if not con.execute(
            "SELECT 1 FROM duckdb_columns() WHERE schema_name = 'raw' "
            "AND table_name = 'load_log' AND column_name = ?",
            [name],
        ).fetchone()
    ]
    if not missing:
        return
    for name in missing:
        con.execute(f"ALTER TABLE raw.load_log ADD COLUMN {name} {LOAD_LOG_COLUMNS[name]}")
    con.execute(
        "UPDATE raw.load_log SET file_key = regexp_extract(source_file, '[^/\\\\]+$') "
        "WHERE file_key IS NULL"
    )
    con.execute(
        "UPDATE raw.load_log l SET superseded_at = (SELECT min(n.loaded_at) FROM raw.load_log n "
        "WHERE n.table_name = l.table_name AND n.loaded_at > l.loaded_at) "
        "WHERE l.superseded_at IS NULL AND EXISTS (SELECT 1 FROM raw.load_log n "
        "WHERE n.table_name = l.table_name AND n.loaded_at > l.loaded_at)"
    )


def create_pending_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the run's temp table of quarantined rows."""
    cols = {k: v for k, v in QUARANTINE_COLUMNS.items() if k != "loaded_at"}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PENDING_QUARANTINE} ({_columns_sql(cols)})")


def replace_table_rows(con: duckdb.DuckDBPyConnection, table: str, loaded_at: str) -> None:
    """Empty `raw.<table>` and its quarantine rows before this run loads it (a snapshot), and
    mark every file loaded into it before as superseded in `raw.load_log`."""
    con.execute(f"DELETE FROM raw.{table}")
    con.execute("DELETE FROM raw.quarantine WHERE table_name = ?", [table])
    con.execute(
        f"UPDATE raw.load_log SET superseded_at = TIMESTAMP {literal(loaded_at)} "
        "WHERE table_name = ? AND superseded_at IS NULL",
        [table],
    )


def current_files(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str | None]:
    """File key -> content hash of the files whose rows `raw.<table>` holds now.

    The hash is None for a file with orphan rows in quarantine, so a re-drop loads it again and
    its orphans get another chance once their parents have arrived.
    """
    rows = con.execute(
        "SELECT l.file_key, CASE WHEN bool_or(EXISTS (SELECT 1 FROM raw.quarantine q "
        "WHERE q.table_name = l.table_name AND q.source_file = l.source_file "
        "AND q.reason LIKE 'orphan:%')) THEN NULL ELSE arg_max(l.file_hash, l.loaded_at) END "
        "FROM raw.load_log l WHERE l.table_name = ? AND l.superseded_at IS NULL "
        "AND l.file_key IS NOT NULL GROUP BY 1",
        [table],
    ).fetchall()
    return dict(rows)


def replace_file_rows(
    con: duckdb.DuckDBPyConnection, table: str, files: dict[str, str], loaded_at: str
) -> None:
    """Delete the rows and quarantine rows of earlier versions of `files` (source file -> key)
    from `raw.<table>`: those loaded under the same key or from the same path (a changed file
    replaces only its own rows), and mark their loads superseded in `raw.load_log`."""
    if not files:
        return
    keys = ", ".join(literal(k) for k in files.values())
    paths = ", ".join(literal(p) for p in files)
    same = f"(file_key IN ({keys}) OR source_file IN ({paths}))"
    earlier = (
        f"SELECT source_file FROM raw.load_log WHERE table_name = {literal(table)} "
        f"AND superseded_at IS NULL AND {same} UNION SELECT unnest([{paths}])"
    )
    con.execute(f"DELETE FROM raw.{table} WHERE _source_file IN ({earlier})")
    con.execute(
        f"DELETE FROM raw.quarantine WHERE table_name = ? AND source_file IN ({earlier})", [table]
    )
    con.execute(
        f"UPDATE raw.load_log SET superseded_at = TIMESTAMP {literal(loaded_at)} "
        f"WHERE table_name = ? AND superseded_at IS NULL AND {same}",
        [table],
    )


def publish_quarantine(con: duckdb.DuckDBPyConnection, loaded_at: str) -> None:
    """Move the run's pending quarantine rows into `raw.quarantine`."""
    con.execute(
        f"INSERT INTO raw.quarantine SELECT source_file, line_number, raw_text, table_name, "
        f"reason, TIMESTAMP {literal(loaded_at)} FROM {PENDING_QUARANTINE} "
        f"ORDER BY source_file, line_number"
    )


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every contract table in `raw`."""
    sql = " UNION ALL ".join(f"SELECT {literal(name)}, count(*) FROM raw.{name}" for name in TABLES)
    return {name: int(n) for name, n in con.execute(sql).fetchall()}


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in `raw.<table>`."""
    return con.execute(f"SELECT count(*) FROM raw.{ident(table)}").fetchone()[0]


def refuse_emptying(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows_before: int,
    files: list[str],
    replace: bool,
) -> None:
    """InputError when this load left `raw.<table>` empty though it held rows, unless `replace`.

    Raised inside the load's transaction, so the previous rows are kept.
    """
    if replace or rows_before == 0 or row_count(con, table) > 0:
        return
    raise InputError(
        f"{', '.join(files)}: no loadable rows for raw.{table} (header only, or every row "
        f"quarantined); refusing to empty raw.{table}, which holds {rows_before:,} rows: fix "
        f"the file, or pass --replace to empty it on purpose"
    )
