"""Row counts and segment sizes for built dbt relations, read after dbt has released them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from retention.core.warehouse.base import Warehouse, read_table

SEGMENT_META_KEY = "segment_by"


def relation_name(key: dg.AssetKey) -> str:
    """The `schema.name` relation behind a dbt asset key (see the translator)."""
    schema, name = key.path[-2:]
    return f'"{schema}"."{name}"'


def table_metadata(
    warehouse: Warehouse, key: dg.AssetKey, dbt_node: Mapping[str, Any]
) -> dict[str, Any]:
    """`dagster/row_count`, plus `segment_sizes` when model meta names a `segment_by` column."""
    relation = ".".join(key.path[-2:])
    count = read_table(warehouse, f"select count(*) as n from {relation}").column(0)[0].as_py()
    metadata: dict[str, Any] = {"dagster/row_count": count}
    segment_column = (dbt_node.get("config", {}).get("meta") or {}).get(SEGMENT_META_KEY)
    if segment_column:
        rows = read_table(
            warehouse,
            f"select coalesce(cast({segment_column} as string), '(null)') as segment, "
            f"count(*) as n from {relation} group by 1 order by 2 desc",
        ).to_pylist()
        metadata["segment_sizes"] = dg.MetadataValue.json(
            {row["segment"]: row["n"] for row in rows}
        )
    return metadata
