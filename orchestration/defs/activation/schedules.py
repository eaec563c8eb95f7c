"""Hourly sync of triggered audiences (dbt tag `triggered`): rebuild the model, then sync it."""

from collections.abc import Iterator, Sequence

import dagster as dg

from orchestration.defs.activation.assets import ACTIVATION_GROUP, TRIGGERED_TAG
from orchestration.defs.schedule_guard import skip_if_running

HOURLY_SYNC_JOB = "hourly_triggered_syncs"


def hourly_sync_definitions(triggered_audience_keys: Sequence[dg.AssetKey]) -> dg.Definitions:
    """A job of the triggered audience models and their syncs, scheduled hourly at :15."""
    audiences = dg.AssetSelection.assets(*triggered_audience_keys)
    syncs = dg.AssetSelection.groups(ACTIVATION_GROUP) & dg.AssetSelection.tag(TRIGGERED_TAG, "")
    job = dg.define_asset_job(
        name=HOURLY_SYNC_JOB,
        selection=audiences | syncs,
        description="Rebuild triggered audiences (dbt tag `triggered`) and sync them.",
    )

    @dg.schedule(
        cron_schedule="15 * * * *",
        job=job,
        name="hourly_triggered_syncs_schedule",
        description="Every hour at :15: the hourly_triggered_syncs job (rebuild the triggered "
        "audiences, then sync them); skipped while the previous run is active.",
    )
    def _schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> Iterator[dg.RunRequest | dg.SkipReason]:
        yield from skip_if_running(context, HOURLY_SYNC_JOB)

    return dg.Definitions(jobs=[job], schedules=[_schedule])
