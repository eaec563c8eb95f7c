"""Activation domain definitions, generated from the syncs declared next to the audiences."""

import dagster as dg

from activation.config import load_syncs
from orchestration.defs.activation.assets import build_sync_assets
from orchestration.defs.activation.audiences import audience_models
from orchestration.defs.activation.checks import build_size_change_check
from orchestration.defs.activation.resources import destination_resource, destination_resource_key
from orchestration.defs.activation.schedules import hourly_sync_definitions
from orchestration.defs.dbt.assets import dbt_manifest
from orchestration.settings import DBT_PROJECT_DIR

syncs = load_syncs(DBT_PROJECT_DIR)
audiences = audience_models(dbt_manifest, syncs)

syncs_defs = dg.Definitions(
    assets=build_sync_assets(
        syncs,
        {name: a.key for name, a in audiences.items()},
        {name for name, a in audiences.items() if a.triggered},
    ),
    asset_checks=[build_size_change_check(a.key) for a in audiences.values()],
    resources={
        destination_resource_key(name): destination_resource(name)
        for name in sorted({sync.destination for sync in syncs})
    },
)

defs = dg.Definitions.merge(
    syncs_defs, hourly_sync_definitions([a.key for a in audiences.values() if a.triggered])
)
