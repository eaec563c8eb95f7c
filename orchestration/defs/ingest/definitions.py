"""Ingest domain definitions."""

import dagster as dg

from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.ingest.checks import raw_orders_freshness
from orchestration.defs.ingest.sensors import (
    full_pipeline_job,
    ingest_and_build_job,
    raw_drop_sensor,
)

defs = dg.Definitions(
    assets=[raw_tables],
    asset_checks=[raw_orders_freshness],
    jobs=[ingest_and_build_job, full_pipeline_job],
    sensors=[raw_drop_sensor],
)
