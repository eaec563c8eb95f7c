"""dbt domain definitions."""

import dagster as dg

from orchestration.defs.dbt.assets import dbt_project, retention_dbt_assets
from orchestration.defs.dbt.resources import BuildOptions, dbt_resource
from orchestration.defs.dbt.schedules import build_job, daily_full_refresh, full_refresh_job

defs = dg.Definitions(
    assets=[retention_dbt_assets],
    jobs=[build_job, full_refresh_job],
    schedules=[daily_full_refresh],
    resources={"dbt": dbt_resource(dbt_project), "build_options": BuildOptions()},
)
