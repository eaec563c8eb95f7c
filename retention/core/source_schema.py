"""Read a dbt sources yml whose columns carry `data_type`: the one definition of a table schema.

The raw contract (`dbt_project/models/staging/_shop__sources.yml`) and the ML outputs
(`dbt_project/models/ml/_ml__sources.yml`) are written there once; dbt creates missing tables
from the same declarations (`dbt_project/macros/contract_columns.sql`, which accepts the same
types as `CONTRACT_TYPES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from retention.core.errors import InputError
from retention.core.settings import DBT_PROJECT_DIR, PROJECT_ROOT

# env `RETENTION_DBT_PROJECT_DIR` (settings) makes Python read another copy of the project too.
SOURCES_DIR = DBT_PROJECT_DIR / "models"
# The types a contract column may declare (DuckDB spelling), besides DECIMAL(p,s).
CONTRACT_TYPES = (
    "VARCHAR",
    "JSON",
    "BOOLEAN",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "DATE",
    "TIMESTAMP",
)
_DECIMAL = re.compile(r"^DECIMAL\(\d+,\d+\)$")


class ContractError(InputError):
    """A sources yml that does not declare a usable schema (missing or unknown data_type)."""


@dataclass(frozen=True)
class SourceColumn:
    """One declared column: its name, contract type and `config.meta`."""

    name: str
    data_type: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class SourceTable:
    """One declared table: its columns in yml order and its `config.meta`."""

    name: str
    columns: tuple[SourceColumn, ...]
    meta: dict[str, Any]


@dataclass(frozen=True)
class SourceDeclaration:
    """One dbt source: its tables in yml order and its `config.meta`."""

    name: str
    tables: dict[str, SourceTable]
    meta: dict[str, Any]


def contract_type(data_type: object, where: str) -> str:
    """`data_type` in canonical spelling, or ContractError naming `where` (file: column)."""
    spelled = str(data_type).upper().replace(" ", "") if data_type else ""
    if spelled in CONTRACT_TYPES or _DECIMAL.match(spelled):
        return spelled
    if not data_type:
        raise ContractError(f"{where} has no data_type: add one (e.g. data_type: VARCHAR)")
    raise ContractError(
        f"{where}: unknown data_type '{data_type}' (use one of "
        f"{', '.join(CONTRACT_TYPES)}, DECIMAL(p,s))"
    )


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    return dict((node.get("config") or {}).get("meta") or {})


def load_source(path: Path, source_name: str) -> SourceDeclaration:
    """Source `source_name` of the sources yml at `path`, every column typed and validated."""
    shown = shown_path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{shown}: cannot read the sources yml ({exc})") from exc
    sources = [s for s in document.get("sources") or [] if s.get("name") == source_name]
    if not sources:
        raise ContractError(f"{shown}: declares no source named {source_name!r}")
    source = sources[0]
    tables: dict[str, SourceTable] = {}
    for table in source.get("tables") or []:
        columns = tuple(
            SourceColumn(
                column["name"],
                contract_type(
                    column.get("data_type"), f"{shown}: column {table['name']}.{column['name']}"
                ),
                _meta(column),
            )
            for column in table.get("columns") or []
        )
        if not columns:
            raise ContractError(f"{shown}: table {table['name']} declares no columns")
        tables[table["name"]] = SourceTable(table["name"], columns, _meta(table))
    return SourceDeclaration(source_name, tables, _meta(source))


def shown_path(path: Path) -> str:
    """`path` relative to the project when inside it, for messages."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
