"""Asset keys and groups for dbt nodes, derived from dbt metadata only.

Every dbt relation maps to `[schema, name]`: `raw.orders` (a source) becomes `raw/orders`, the key
the ingest asset produces; `ml.churn_scores` becomes `ml/churn_scores`, the key the churn asset
produces; `marts.dim_customers` becomes `marts/dim_customers`. The group is the model's schema
(staging, intermediate, marts, audiences, seeds) unless dbt sets `meta.dagster.group`. A model
that exposures depend on (an audience with syncs) is owned by those exposures' owners.
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

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetSpec:
        """The default spec, plus owners from the exposures that depend on the node."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        owners = exposure_owners_of(manifest, unique_id)
        return spec.replace_attributes(owners=owners) if owners and not spec.owners else spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """`meta.dagster.group` when set, else the node's schema."""
        return super().get_group_name(dbt_resource_props) or dbt_resource_props["schema"]


def owner_of(exposure: Mapping[str, Any]) -> str | None:
    """A Dagster owner for a dbt exposure: its owner's email, else `team:<owner name>`."""
    owner = exposure.get("owner") or {}
    if owner.get("email"):
        return str(owner["email"])
    if owner.get("name"):
        return "team:" + "".join(c if c.isalnum() or c in "-_" else "_" for c in owner["name"])
    return None


def exposure_owners_of(manifest: Mapping[str, Any], unique_id: str) -> list[str]:
    """Owners of the exposures that depend on dbt node `unique_id`, sorted, without repeats."""
    owners = {
        owner_of(exposure)
        for exposure in (manifest.get("exposures") or {}).values()
        if unique_id in ((exposure.get("depends_on") or {}).get("nodes") or [])
    }
    return sorted(owner for owner in owners if owner)
