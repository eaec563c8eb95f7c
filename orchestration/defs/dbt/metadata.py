"""Row counts and segment sizes for built dbt relations, read after dbt has released the file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb

SEGMENT_META_KEY = "segment_by"


def relation_name(key: dg.AssetKey) -> str:
    """The `schema.name` relation behind a dbt asset key (see the translator)."""
    schema, name = key.path[-2:]
    return f'"{schema}"."{name}"'


def table_metadata(
    con: duckdb.DuckDBPyConnection, key: dg.AssetKey, dbt_node: Mapping[str, Any]
) -> dict[str, Any]:
    """`dagster/row_count`, plus `segment_sizes` when model meta names a `segment_by` column."""
    relation = relation_name(key)
    metadata: dict[str, Any] = {
        "dagster/row_count": con.execute(f"select count(*) from {relation}").fetchone()[0]
    }
    segment_column = (dbt_node.get("config", {}).get("meta") or {}).get(SEGMENT_META_KEY)
    if segment_column:
        rows = con.execute(
            f"select coalesce(cast(\"{segment_column}\" as varchar), '(null)'), count(*) "
            f"from {relation} group by 1 order by 2 desc"
        ).fetchall()
        metadata["segment_sizes"] = dg.MetadataValue.json(dict(rows))
    return metadata
