"""The Dagster code location `orchestration.definitions:defs`: raw files to synced audiences.

One asset graph: raw tables (ingest) -> dbt staging, intermediate, marts -> ML scores ->
customer_ltv and audiences (dbt) -> one sync asset per declared sync. Each domain's assets,
checks, schedules and sensors live in `orchestration/defs/<domain>/`.
"""

import dagster as dg

from orchestration.settings import prepare_environment

prepare_environment()

from orchestration.defs.activation.definitions import defs as activation_defs  # noqa: E402
from orchestration.defs.dbt.definitions import defs as dbt_defs  # noqa: E402
from orchestration.defs.ingest.definitions import defs as ingest_defs  # noqa: E402
from orchestration.defs.ml.definitions import defs as ml_defs  # noqa: E402
from orchestration.defs.warehouse import WarehouseResource  # noqa: E402

defs = dg.Definitions.merge(
    ingest_defs,
    dbt_defs,
    ml_defs,
    activation_defs,
    dg.Definitions(
        resources={"warehouse": WarehouseResource(duckdb_path=dg.EnvVar("RETENTION_DUCKDB_PATH"))}
    ),
)
