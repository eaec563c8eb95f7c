"""The raw input contract as ingest uses it (see DESIGN.md, "Raw input contract").

The one definition is the dbt source `shop` (`dbt_project/models/staging/_shop__sources.yml`):
columns and `data_type`, the row rules in `config.meta` and the lineage columns. This module
reads it once into one `TableSpec` per raw table. `raw.<table>` in DuckDB has these columns
and types plus the lineage columns `_source_file`, `_source_line` and `_loaded_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from retention.core.source_schema import (
    SOURCES_DIR,
    ContractError,
    SourceDeclaration,
    SourceTable,
    contract_type,
    load_source,
    shown_path,
)

RAW_SOURCES_YML = SOURCES_DIR / "staging" / "_shop__sources.yml"
MONEY = "DECIMAL(18,2)"


@dataclass(frozen=True)
class TableSpec:
    """One raw table: ordered columns with DuckDB types, keys, and row rules."""

    name: str
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    int_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    # column -> (parent table, parent column); rows whose key has no parent are orphans
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)


def _table_spec(table: SourceTable, shown: str) -> TableSpec:
    """The TableSpec of one declared table, its rules read from `config.meta`."""
    columns = {column.name: column.data_type for column in table.columns}
    key = tuple(table.meta.get("primary_key") or ())
    unknown = [name for name in key if name not in columns]
    if unknown:
        raise ContractError(
            f"{shown}: table {table.name}: primary_key names unknown column {unknown[0]}"
        )
    parents: dict[str, tuple[str, str]] = {}
    for column in table.columns:
        if "parent" in column.meta:
            parent_table, _, parent_column = str(column.meta["parent"]).partition(".")
            parents[column.name] = (parent_table, parent_column)
    return TableSpec(
        table.name,
        columns,
        primary_key=key,
        required=tuple(c.name for c in table.columns if c.meta.get("required")),
        non_negative=tuple(c.name for c in table.columns if c.meta.get("non_negative")),
        accepted_values={
            c.name: tuple(c.meta["accepted_values"])
            for c in table.columns
            if "accepted_values" in c.meta
        },
        int_ranges={c.name: tuple(c.meta["range"]) for c in table.columns if "range" in c.meta},
        parents=parents,
    )


def _check_load_order(tables: dict[str, TableSpec], shown: str) -> None:
    """Every parent is a declared column of a table listed before its child."""
    seen: set[str] = set()
    for spec in tables.values():
        for column, (parent, parent_column) in spec.parents.items():
            if parent not in seen or parent_column not in tables[parent].columns:
                raise ContractError(
                    f"{shown}: column {spec.name}.{column}: parent {parent}.{parent_column} must "
                    f"be a column of a table listed before {spec.name}"
                )
        seen.add(spec.name)


def load_raw_contract(path: Path = RAW_SOURCES_YML) -> tuple[dict[str, TableSpec], dict[str, str]]:
    """The raw tables (in load order) and the lineage columns declared by the `shop` source."""
    source: SourceDeclaration = load_source(path, "shop")
    shown = shown_path(path)
    tables = {name: _table_spec(table, shown) for name, table in source.tables.items()}
    _check_load_order(tables, shown)
    lineage = {
        name: contract_type(data_type, f"{shown}: lineage column {name}")
        for name, data_type in (source.meta.get("lineage_columns") or {}).items()
    }
    return tables, lineage


TABLES, LINEAGE_COLUMNS = load_raw_contract()
# Load order: parents before children (the yml lists them so), so orphan checks see the parents.
LOAD_ORDER = tuple(TABLES)

ORDER_STATUSES = TABLES["orders"].accepted_values["status"]
EVENT_TYPES = TABLES["events"].accepted_values["event_type"]
