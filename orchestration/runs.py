"""A run that dies releases what it held: stale Dagster runs and sync runs, found by liveness.

Every run the CLI launches carries the tag `retention/owner` = `host:pid:start` of the process
executing it (`retention.core.process`). Before the CLI starts a run, `recover_dead_runs`
marks every in-progress Dagster run whose owner is gone as failed and frees any concurrency
slot it claimed, and marks `activation.sync_runs` rows a dead process left `running` as
`interrupted`. Runs without the tag (started before it existed) count as dead when every
process their events name (`Executing steps in process (pid: N)`) is gone or was started
after the run (a reused pid). Slots still claimed by finished runs are freed too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from activation import state
from orchestration.defs.warehouse_resource import WAREHOUSE_POOL
from retention.core import lock as warehouse_lock
from retention.core import process

OWNER_TAG = "retention/owner"
COMMAND_TAG = "retention/command"
IN_PROCESS_EVENT = "Executing steps in process"
# runs a process executes (queued runs have none yet)
LIVE_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the owner of a run it executes."""
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]])
    return {OWNER_TAG: str(process.current()), COMMAND_TAG: command}


def _legacy_pids(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    """Pids of the in-process executor (the process running every step) of an untagged run."""
    pids = set()
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith(IN_PROCESS_EVENT):
            continue
        if event.engine_event_data.pid is not None:
            pids.add(event.engine_event_data.pid)
    return pids


def _dead(instance: dg.DagsterInstance, record: dg.RunRecord) -> str | None:
    """Who ran `record` if that process is gone (`pid N`), else None."""
    run = record.dagster_run
    owner = process.Owner.parse(run.tags.get(OWNER_TAG, ""))
    if owner is not None:
        return None if process.alive(owner) else f"pid {owner.pid} on {owner.host}"
    pids = _legacy_pids(instance, run.run_id)
    started = record.start_time or record.create_timestamp.timestamp()
    for pid in pids:
        since = process.started_at(pid)
        if since is not None and since <= started + 1:
            return None  # that process still runs (and is old enough to be the run's)
    return f"pid {', '.join(map(str, sorted(pids)))}" if pids else None


def fail_runs(instance: dg.DagsterInstance, run_ids: list[str], message: str) -> None:
    """Mark the in-progress runs `run_ids` failed with `message` and free their slots."""
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def own_runs(instance: dg.DagsterInstance) -> list[str]:
    """In-progress Dagster runs owned by this process."""
    me = str(process.current())
    records = instance.get_run_records(dg.RunsFilter(statuses=LIVE_STATUSES))
    return [r.dagster_run.run_id for r in records if r.dagster_run.tags.get(OWNER_TAG) == me]


def _free_finished_slots(instance: dg.DagsterInstance) -> int:
    """Free `warehouse` pool slots still claimed by runs that finished; how many."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    freed = 0
    info = storage.get_concurrency_info(WAREHOUSE_POOL)
    for run_id in {slot.run_id for slot in info.claimed_slots if slot.run_id}:
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            freed += 1
    return freed


def recover_dead_runs(
    instance: dg.DagsterInstance, db: Path | None, say: Callable[[str], None] | None = None
) -> list[str]:
    """Release what dead processes held: fail their Dagster runs, free their pool slots, mark
    their sync runs interrupted. Returns (and passes to `say`) one line per recovered run."""
    lines = []
    records = instance.get_run_records(dg.RunsFilter(statuses=LIVE_STATUSES))
    for record in records:
        who = _dead(instance, record)
        if who is None:
            continue
        run = record.dagster_run
        fail_runs(
            instance,
            [run.run_id],
            f"interrupted: the process running it ({who}) died before it finished; "
            "marked failed by the next retention command",
        )
        lines.append(
            f"Dagster run {run.run_id[:8]} ({run.job_name}) was left running by {who}, which "
            "died: marked failed and its warehouse slots freed"
        )
    if _free_finished_slots(instance):
        lines.append("freed warehouse pool slots still held by finished Dagster runs")
    if db is not None and db.exists():
        with warehouse_lock.connect(db, on_wait=say) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'activation' AND table_name = 'sync_runs'"
            ).fetchone()[0]
            marked = state.interrupt_runs(con) if exists else []
        for run_id, sync_name, owner in marked:
            pid = owner.split(":")[-2]
            lines.append(
                f"sync run {run_id[:8]} of {sync_name} was left running by pid {pid}, which "
                "died: marked interrupted (its next run resumes it)"
            )
    for line in lines:
        if say is not None:
            say(line)
    return lines
