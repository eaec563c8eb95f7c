"""The sync engine's warehouse tables (schema `activation`), created and migrated from their one
declaration: source `activation` of `dbt_project/models/activation/_activation__sources.yml`
(columns with `data_type`, keys in `config.meta.primary_key`; dbt creates the same tables).

`ensure_tables` creates the schema and every missing table, and adds the columns a warehouse
made by an older release lacks, so a column added to the yml reaches existing warehouses.
"""

from __future__ import annotations

from functools import cache

import duckdb

from retention.core.source_schema import SOURCES_DIR, SourceTable, load_source

ACTIVATION_SOURCES_YML = SOURCES_DIR / "activation" / "_activation__sources.yml"
SCHEMA = "activation"


@cache
def declared_tables() -> dict[str, SourceTable]:
    """Every activation table as declared in ACTIVATION_SOURCES_YML (read once)."""
    return load_source(ACTIVATION_SOURCES_YML, SCHEMA).tables


def create_sql(table: SourceTable) -> str:
    """`CREATE TABLE IF NOT EXISTS` for `table`, with its declared primary key."""
    columns = [f"{column.name} {column.data_type}" for column in table.columns]
    key = table.meta.get("primary_key")
    if key:
        columns.append(f"PRIMARY KEY ({', '.join(key)})")
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table.name} ({', '.join(columns)})"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `activation` and its missing tables; add missing declared columns."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_catalog = current_database()",
        [SCHEMA],
    ).fetchall():
        present.setdefault(table, set()).add(column)
    for name, table in declared_tables().items():
        if name not in present:
            con.execute(create_sql(table))
            continue
        for column in table.columns:
            if column.name not in present[name]:
                con.execute(
                    f"ALTER TABLE {SCHEMA}.{name} ADD COLUMN {column.name} {column.data_type}"
                )
