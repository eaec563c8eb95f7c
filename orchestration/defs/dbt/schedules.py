"""The build jobs and the daily full refresh (models + scores + syncs)."""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.activation.assets import ACTIVATION_GROUP
from orchestration.defs.ingest.assets import RAW_SCHEMA, raw_key
from orchestration.defs.ingest.checks import FRESHNESS_CHECK_OP
from orchestration.defs.schedule_guard import skip_if_running

BUILD_JOB = "build"
FULL_REFRESH_JOB = "full_refresh"

_raw = dg.AssetSelection.groups(RAW_SCHEMA)
_syncs = dg.AssetSelection.groups(ACTIVATION_GROUP)
_raw_checks = dg.AssetSelection.checks_for_assets(raw_key("orders"))

build_job = dg.define_asset_job(
    name=BUILD_JOB,
    selection=dg.AssetSelection.all() - _raw - _syncs | _raw_checks,
    description="dbt build + churn + CLV + audiences on the raw data already loaded.",
)

full_refresh_job = dg.define_asset_job(
    name=FULL_REFRESH_JOB,
    selection=dg.AssetSelection.all() - _raw | _raw_checks,
    description="Build everything from the loaded raw data, score, and sync every audience.",
)


# the scheduled production run measures raw freshness on the wall clock (live exports)
LIVE_FRESHNESS = {"ops": {FRESHNESS_CHECK_OP: {"config": {"reference": "now"}}}}


@dg.schedule(
    cron_schedule="0 5 * * *",
    job=full_refresh_job,
    name="daily_full_refresh",
    description="05:00 daily: the full_refresh job (build, score, sync every audience); raw "
    "freshness measured against the wall clock; skipped while the previous run is active.",
)
def daily_full_refresh(
    context: dg.ScheduleEvaluationContext,
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    """05:00 daily, unless yesterday's refresh is still running."""
    yield from skip_if_running(context, FULL_REFRESH_JOB, LIVE_FRESHNESS)
