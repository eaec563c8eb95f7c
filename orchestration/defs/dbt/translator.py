"""Asset keys and groups for dbt nodes, derived from dbt metadata only.

Every dbt relation maps to `[schema, name]`: `raw.orders` (a source) becomes `raw/orders`, the key
the ingest asset produces; `ml.churn_scores` becomes `ml/churn_scores`, the key the churn asset
produces; `marts.dim_customers` becomes `marts/dim_customers`. The group is the model's schema
(staging, intermediate, marts, audiences, seeds) unless dbt sets `meta.dagster.group`.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class RetentionDbtTranslator(DagsterDbtTranslator):
    """`[schema, relation name]` keys and schema-named groups for every dbt node."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`[schema, identifier]` for sources, `[schema, alias]` for models and seeds."""
        props = dbt_resource_props
        if props["resource_type"] == "source":
            name = props.get("identifier") or props["name"]
        else:
            name = props.get("alias") or props["name"]
        return dg.AssetKey([props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """`meta.dagster.group` when set, else the node's schema."""
        return super().get_group_name(dbt_resource_props) or dbt_resource_props["schema"]
