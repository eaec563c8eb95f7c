"""The Dagster code location `orchestration.definitions:defs`: raw files to synced audiences.

One asset graph: raw tables (ingest) -> dbt staging, intermediate, marts -> ML scores ->
customer_ltv and audiences (dbt) -> one sync asset per declared sync. Each domain's assets,
checks, schedules and sensors live in `orchestration/defs/<domain>/`; owners and freshness
policies of every asset are set in one place, `orchestration/defs/policies.py`.

Importing this module writes nothing and runs nothing: the dbt manifest must be fresh
(`retention parse`, or any `retention` command that builds; `dagster dev` re-parses on load)
and resources read their settings (warehouse path, provider keys) when a run starts.
"""

import warnings

import dagster as dg

from orchestration.defs.activation import definitions as activation
from orchestration.defs.dbt import definitions as dbt
from orchestration.defs.ingest import definitions as ingest
from orchestration.defs.ml import definitions as ml
from orchestration.defs.policies import apply_policies
from orchestration.defs.triggered import definitions as triggered
from orchestration.defs.warehouse_resource import WarehouseResource

# map_asset_specs warns that it is in preview: dagster is pinned <1.14 and
# tests/orchestration/test_policies.py checks what it does
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)
    defs = dg.Definitions.merge(
        ingest.defs,
        dbt.defs,
        ml.defs,
        activation.defs,
        triggered.defs,
        dg.Definitions(resources={"warehouse": WarehouseResource()}),
    ).map_asset_specs(func=apply_policies)
