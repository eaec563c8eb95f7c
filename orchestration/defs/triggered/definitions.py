"""The fast-path jobs and the sensor that starts one whenever raw rows land."""

import dagster as dg

from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.triggered.selection import (
    INGEST_AND_TRIGGER_JOB,
    TRIGGERED_JOB,
    fast_path_selection,
)

triggered_refresh_job = dg.define_asset_job(
    name=TRIGGERED_JOB,
    selection=fast_path_selection(),
    description="Rebuild the triggered audiences from fresh staging and marts (no ML) and sync "
    "them: the fast path after new raw rows.",
)

ingest_and_trigger_job = dg.define_asset_job(
    name=INGEST_AND_TRIGGER_JOB,
    selection=fast_path_selection(with_raw=True),
    description="Load new raw files, then the triggered_refresh fast path (`retention trigger`).",
)


SYNCING_JOBS = (INGEST_AND_TRIGGER_JOB, "full_pipeline")


def run_key(storage_ids: list[int]) -> str | None:
    """One run per batch of new raw materializations, named by the newest one; None if none."""
    return f"raw-{max(storage_ids)}" if storage_ids else None


def synced_by(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether run `run_id` synced the triggered audiences itself (its raw rows need no
    further run): `ingest_and_trigger` or `full_pipeline`."""
    run = instance.get_run_by_id(run_id) if run_id else None
    return run is not None and run.job_name in SYNCING_JOBS


@dg.multi_asset_sensor(
    monitored_assets=list(raw_tables.keys),
    job=triggered_refresh_job,
    minimum_interval_seconds=30,
    description="Every 30 s: a triggered_refresh run when raw tables were materialized since the "
    "last one by a run that did not sync them (drop-folder ingest runs), so triggered audiences "
    "sync without waiting for :15.",
)
def raw_landed_sensor(
    context: dg.MultiAssetSensorEvaluationContext,
) -> dg.RunRequest | dg.SkipReason:
    """Request one triggered_refresh run for every raw materialization not yet handed off."""
    records = [r for r in context.latest_materialization_records_by_key().values() if r]
    key = run_key([r.storage_id for r in records if not synced_by(context.instance, r.run_id)])
    if key is None:
        return dg.SkipReason("no raw tables materialized since the last triggered_refresh")
    context.advance_all_cursors()
    return dg.RunRequest(run_key=key)


defs = dg.Definitions(
    jobs=[triggered_refresh_job, ingest_and_trigger_job], sensors=[raw_landed_sensor]
)
