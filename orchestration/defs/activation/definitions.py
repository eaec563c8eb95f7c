"""Activation domain definitions, generated from the syncs declared next to the audiences.

A sync whose declaration is invalid becomes an asset that fails with its one-line error; the
code location and every other sync load and run as usual.
"""

import dagster as dg

from activation.declarations import load_sync_declarations
from orchestration.defs.activation.assets import (
    ACTIVATION_GROUP,
    broken_sync_keys,
    build_broken_sync_asset,
    build_sync_assets,
)
from orchestration.defs.activation.audiences import (
    audience_models,
    exposure_owners,
    without_unknown_models,
)
from orchestration.defs.activation.checks import build_size_change_check
from orchestration.defs.activation.resources import destination_resource, destination_resource_key
from orchestration.defs.activation.schedules import hourly_sync_definitions
from orchestration.defs.dbt.assets import dbt_manifest
from orchestration.defs.dbt.translator import RetentionDbtTranslator
from retention.core.settings import DBT_PROJECT_DIR

declarations = without_unknown_models(dbt_manifest, load_sync_declarations(DBT_PROJECT_DIR))
syncs = declarations.syncs
audiences = audience_models(dbt_manifest, syncs)
_model_keys = {
    node["name"]: RetentionDbtTranslator().get_asset_key(node)
    for node in dbt_manifest["nodes"].values()
    if node["resource_type"] == "model"
}
broken_assets = [
    build_broken_sync_asset(broken, key, _model_keys.get(broken.model))
    for broken, key in zip(
        declarations.broken,
        broken_sync_keys(declarations.broken, {s.name for s in syncs}),
        strict=True,
    )
]

# the tables the sync engine writes, which dbt models read as source('activation', ...)
engine_tables = [
    dg.AssetSpec(
        key=RetentionDbtTranslator().get_asset_key(source),
        group_name=ACTIVATION_GROUP,
        description=" ".join((source.get("description") or "").split()) or None,
        kinds={"duckdb"},
    )
    for source in dbt_manifest["sources"].values()
    if source["source_name"] == ACTIVATION_GROUP
]

syncs_defs = dg.Definitions(
    assets=[
        *engine_tables,
        *build_sync_assets(
            syncs,
            {name: a.key for name, a in audiences.items()},
            {name for name, a in audiences.items() if a.triggered},
            exposure_owners(dbt_manifest),
        ),
        *broken_assets,
    ],
    asset_checks=[build_size_change_check(a.key) for a in audiences.values()],
    resources={
        destination_resource_key(name): destination_resource(name)
        for name in sorted({sync.destination for sync in syncs})
    },
)

defs = dg.Definitions.merge(
    syncs_defs, hourly_sync_definitions([a.key for a in audiences.values() if a.triggered])
)
