"""Schedules skip a tick while a run of the same job is still queued or running."""

from collections.abc import Iterator

import dagster as dg

ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def skip_if_running(
    context: dg.ScheduleEvaluationContext, job_name: str, run_config: dict | None = None
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    """A SkipReason when `job_name` has an active run, else one RunRequest (with `run_config`)."""
    active = context.instance.get_run_records(
        dg.RunsFilter(job_name=job_name, statuses=ACTIVE_STATUSES), limit=1
    )
    if active:
        yield dg.SkipReason(f"{job_name} run {active[0].dagster_run.run_id} is still in progress")
        return
    yield dg.RunRequest(run_config=run_config or {})
