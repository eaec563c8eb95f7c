"""The Dagster code location `orchestration.definitions:defs`: raw files to synced audiences.

One asset graph: raw tables (ingest) -> dbt staging, intermediate, marts -> ML scores ->
customer_ltv and audiences (dbt) -> one sync asset per declared sync. Each domain's assets,
checks, schedules and sensors live in `orchestration/defs/<domain>/`.
"""

import dagster as dg

from retention.core.settings import prepare_environment

prepare_environment()

from orchestration.defs.activation import definitions as activation  # noqa: E402
from orchestration.defs.dbt import definitions as dbt  # noqa: E402
from orchestration.defs.ingest import definitions as ingest  # noqa: E402
from orchestration.defs.ml import definitions as ml  # noqa: E402
from orchestration.defs.warehouse_resource import WarehouseResource  # noqa: E402

defs = dg.Definitions.merge(
    ingest.defs,
    dbt.defs,
    ml.defs,
    activation.defs,
    dg.Definitions(
        resources={"warehouse": WarehouseResource(duckdb_path=dg.EnvVar("RETENTION_DUCKDB_PATH"))}
    ),
)
