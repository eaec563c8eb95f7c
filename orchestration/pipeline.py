"""Run a job of the Dagster asset graph in-process: what `retention build` and `run` execute.

The CLI, the demo and tests call `run_pipeline`; it executes a job from
`orchestration.definitions:defs` (the same one the Dagster UI and daemon launch) under the
warehouse write lock, and returns what the run did for a summary.

Serialisation is per warehouse file, not per Dagster instance: the run holds the file lock of
its warehouse (`retention.core.lock`) for its whole length, so two builds of one file run one
after the other and builds of two files (a dev and a test warehouse) run at once, even from one
project folder sharing `.dagster_home`. The instance's `warehouse` pool is enforced per run
(`granularity: run` in `dagster.yaml`): it still queues the UI/daemon's runs one at a time, but
an in-process run claims no slot, so a killed CLI run cannot leave a claimed slot behind that
blocks every later run. The kernel releases the file lock of a killed run, dbt dies with it
(`retention.core.leash`), and the next run marks the dead run's Dagster run failed and its sync
runs interrupted (`orchestration.runs`) before it starts, tagging its own run with its pid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from activation import build_gate
from orchestration import runs
from orchestration.defs.dbt.preflight import refuse_future_as_of
from orchestration.defs.dbt.project import prepare_dbt_project
from orchestration.defs.errors import USER_ERROR_KEY
from orchestration.progress import ProgressListener, RunProgress
from retention.core import lock as warehouse_lock
from retention.core import settings
from retention.core.errors import InputError, UserError

BUILD_JOB = "build"
FULL_REFRESH_JOB = "full_refresh"
FULL_PIPELINE_JOB = "full_pipeline"
INGEST_OP = "ingest_raw"
INSTANCE_SETTINGS = Path(__file__).with_name("dagster.yaml")
# sha256 of earlier versions of dagster.yaml: an unedited copy of one is replaced by the current
# (the first pooled every op instance-wide, so one killed run blocked every later one)
# (the second had no `freshness: enabled`, so marts' and audiences' freshness went unshown)
OLD_INSTANCE_SETTINGS = {
    "0fc318e904b43af7ec5810801ab25bae22b58409abf6d55f5ba8af09b72d9298",
    "3f7f6d409f4487780e81572b2fe31a323edefde0a0c27f8950a7b52b56f4b355",
}
WARN = dg.AssetCheckSeverity.WARN.value
SYNC_COUNTS = ("added", "updated", "removed", "failed", "skipped_no_consent")


@dataclass
class CheckFailure:
    """An asset check that did not pass."""

    asset: str
    check: str
    severity: str
    description: str


@dataclass
class PipelineResult:
    """What one run materialized, checked and synced."""

    job: str
    run_id: str
    success: bool
    duckdb_path: Path
    log_path: Path
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[CheckFailure] = field(default_factory=list)
    passed_checks: int = 0
    failed_steps: dict[str, str] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)

    def groups(self) -> dict[str, int]:
        """Materialized assets per top-level key (raw, staging, marts, ml, audiences, ...)."""
        counts: dict[str, int] = {}
        for key in self.materialized:
            group = key.split("/", 1)[0]
            counts[group] = counts.get(group, 0) + 1
        return counts

    def check_errors(self) -> list[CheckFailure]:
        """Failed checks of severity ERROR: the ones that block syncs and fail the build."""
        return [c for c in self.failed_checks if c.severity != WARN]

    def check_warnings(self) -> list[CheckFailure]:
        """Failed checks of severity WARN: worth a look, blocking nothing."""
        return [c for c in self.failed_checks if c.severity == WARN]

    def checks_line(self) -> str:
        """`checks: 497 passed, 0 failed, 22 warnings`."""
        warnings = len(self.check_warnings())
        return (
            f"checks: {self.passed_checks} passed, {len(self.check_errors())} failed, "
            f"{warnings} warning{'' if warnings == 1 else 's'}"
        )

    def syncs(self) -> dict[str, dict[str, Any]]:
        """Sync asset metadata (status and counts) by sync name."""
        return {
            key.split("/", 1)[1]: meta
            for key, meta in self.materialized.items()
            if key.startswith("activation/")
        }


def validate_as_of(as_of: str | None) -> str | None:
    """`as_of` as YYYY-MM-DD, or InputError naming the bad value."""
    if as_of is None:
        return None
    try:
        return dt.date.fromisoformat(as_of).isoformat()
    except ValueError:
        raise InputError(
            f"--as-of {as_of!r} is not a date; use YYYY-MM-DD, e.g. 2024-06-30"
        ) from None


def prepare_dagster_home() -> Path:
    """DAGSTER_HOME (default `.dagster_home`, the one `make dev` uses), exported and created.

    A new home gets the project's `orchestration/dagster.yaml` (the `warehouse` pool enforced per
    run, no telemetry); an unedited copy of an older version is replaced by it.
    """
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    settings_file = home / "dagster.yaml"
    if (
        not settings_file.exists()
        or hashlib.sha256(settings_file.read_bytes()).hexdigest() in OLD_INSTANCE_SETTINGS
    ):
        shutil.copy(INSTANCE_SETTINGS, settings_file)
    return home


def dagster_instance() -> dg.DagsterInstance:
    """The persistent Dagster instance at `prepare_dagster_home()`."""
    prepare_dagster_home()
    return dg.DagsterInstance.get()


def load_definitions() -> dg.Definitions:
    """The code location's Definitions, after `dbt parse` if the dbt project changed."""
    prepare_dbt_project()
    from orchestration.definitions import defs

    return defs


def run_config(
    job: dg.JobDefinition,
    *,
    as_of: str | None,
    target: str,
    raw: Path | None,
    fmt: str,
    dry_run: bool,
    ingest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run config for `job`: as-of date, dbt target, raw input and sync dry-run flags."""
    from orchestration.defs.activation.assets import ACTIVATION_GROUP

    ops: dict[str, Any] = {}
    if raw is not None:
        ops[INGEST_OP] = {"config": {"path": str(raw.resolve()), "format": fmt, **(ingest or {})}}
    for node in job.graph.node_defs:
        if node.name.startswith(f"{ACTIVATION_GROUP}__"):
            ops[node.name] = {"config": {"dry_run": dry_run}}
    return {
        "ops": ops,
        "resources": {
            "build_options": {"config": {"as_of_date": as_of, "dbt_target": target}},
        },
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }


def run_pipeline(
    job_name: str,
    *,
    as_of: str | None = None,
    raw: Path | None = None,
    fmt: str = "canonical",
    dry_run: bool = False,
    target: str = "duckdb",
    db_path: Path | None = None,
    on_wait: Callable[[str], None] | None = None,
    ingest: dict[str, Any] | None = None,
    minimums: dict[str, int] | None = None,
    on_progress: Callable[[RunProgress], None] | None = None,
) -> PipelineResult:
    """Execute job `job_name` of the definitions in this process and summarise it.

    Holds the warehouse write lock for the whole run (waiting for other writers, up to
    RETENTION_LOCK_TIMEOUT), first releases what dead runs held (`runs.recover_dead_runs`, told
    to `on_wait`), tags the Dagster run with this process as its owner, sends dbt and Dagster
    logs to `logs/retention_<job>.log`, and raises the step's UserError (bad input, no data,
    locked warehouse) so the CLI prints one line. Other failures are in the result.
    `minimums` overrides the `model_minimums` resource (min_buyers, min_repeat_buyers,
    min_history_days) for this run. `on_progress` gets a `RunProgress` snapshot (from the
    run's thread) whenever a step starts or ends or an asset is materialized.
    """
    as_of = validate_as_of(as_of)
    if raw is not None and not raw.exists():
        raise InputError(f"--raw {raw}: no such file or folder")
    db = settings.prepare_environment(db_path)
    if target == "spark":
        from retention.core.warehouse.spark_settings import prepare_spark_environment

        prepare_spark_environment()
    log_path = Path("logs") / f"retention_{job_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse_lock.write_lock(db, on_wait=on_wait):
        # fail fast, in one line and before any Dagster state is touched, when a process
        # outside the lock protocol holds the file or there is nothing to build for the as-of
        with warehouse_lock.connect(db, on_wait=on_wait) as con:
            if raw is None and as_of is not None:
                _require_orders_before(con, as_of)
                refuse_future_as_of(con, as_of)
        instance = dagster_instance()
        runs.recover_dead_runs(instance, db, say=on_wait)
        with _captured(log_path):
            defs = load_definitions()
            job = defs.resolve_job_def(job_name)
            config = run_config(
                job, as_of=as_of, target=target, raw=raw, fmt=fmt, dry_run=dry_run, ingest=ingest
            )
            config["resources"]["warehouse"] = {"config": {"duckdb_path": str(db)}}
            if minimums:
                config["resources"]["model_minimums"] = {"config": minimums}
            with warehouse_lock.connect(db) as con:
                build_id = build_gate.start_build(con, job_name, as_of)
            run_id = str(uuid.uuid4())
            if on_progress is not None:
                instance.add_event_listener(run_id, ProgressListener(job, on_progress))
            result = job.execute_in_process(
                run_config=config,
                instance=instance,
                raise_on_error=False,
                tags=runs.owner_tags(),
                run_id=run_id,
            )
            summary = summarise(job_name, result, db, log_path.resolve())
            with warehouse_lock.connect(db) as con:
                build_gate.finish_build(con, build_id, *build_outcome(summary))
    raise_user_error(result)
    return summary


def build_outcome(summary: PipelineResult) -> tuple[bool, list[str]]:
    """Whether a run built cleanly, and else its failed steps and blocking (ERROR) checks.

    Failed syncs do not make a build fail; they are recorded per sync in sync_runs.
    """
    problems = [
        f"step {step}: {message}"
        for step, message in summary.failed_steps.items()
        if not step.startswith("activation__")
    ]
    problems += [f"check {c.asset}:{c.check} failed" for c in summary.check_errors()]
    return not problems, problems


def _require_orders_before(con: duckdb.DuckDBPyConnection, as_of: str) -> None:
    """UserError unless `raw.orders` holds an order dated before `as_of`."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'orders'"
    ).fetchone()[0]
    first = con.execute("select min(ordered_at) from raw.orders").fetchone()[0] if exists else None
    if first is None:
        raise UserError("the warehouse has no raw orders: run `retention ingest PATH` first")
    if first.date().isoformat() >= as_of:
        raise UserError(
            f"--as-of {as_of}: no orders before that date (the first order is on "
            f"{first.date().isoformat()}); pick a later --as-of"
        )


@contextmanager
def _captured(log_path: Path) -> Iterator[None]:
    with log_path.open("w") as log, redirect_stdout(log), redirect_stderr(log):
        yield


def summarise(
    job_name: str, result: dg.ExecuteInProcessResult, db: Path, log_path: Path
) -> PipelineResult:
    """Collect materializations, check results and failed or skipped steps of `result`."""
    summary = PipelineResult(
        job=job_name,
        run_id=result.run_id,
        success=result.success,
        duckdb_path=db,
        log_path=log_path,
    )
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        summary.materialized[materialization.asset_key.to_user_string()] = {
            name: value.value for name, value in materialization.metadata.items()
        }
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.passed_checks += 1
            continue
        summary.failed_checks.append(
            CheckFailure(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                severity=evaluation.severity.value,
                description=evaluation.description or "",
            )
        )
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        summary.failed_steps[event.step_key] = _root_message(error) if error else "failed"
    summary.skipped_steps = [event.step_key for event in result.get_step_skipped_events()]
    return summary


def _root_message(error: Any) -> str:
    while error.cause is not None and error.cls_name.startswith("DagsterExecution"):
        error = error.cause
    message = error.message.strip()
    head, sep, rest = message.partition(": ")
    return rest if sep and head.split(".")[-1] == error.cls_name else message


def _user_error_classes() -> dict[str, type[UserError]]:
    pending, classes = [UserError], {}
    while pending:
        cls = pending.pop()
        classes[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return classes


def raise_user_error(result: dg.ExecuteInProcessResult) -> None:
    """Re-raise the first step failure caused by a UserError (same class, same message), also
    one an asset turned into a one-line `dg.Failure` (`orchestration.defs.errors`)."""
    classes = _user_error_classes()
    for event in result.get_step_failure_events():
        failure = event.step_failure_data.user_failure_data
        name = failure.metadata.get(USER_ERROR_KEY) if failure is not None else None
        if name is not None and name.value in classes and failure.description:
            _raise_as(classes[name.value], failure.description)
        error = event.step_failure_data.error
        while error is not None:
            if error.cls_name in classes:
                _raise_as(classes[error.cls_name], _root_message(error))
            error = error.cause


def _raise_as(cls: type[UserError], message: str) -> None:
    """Raise `cls(message)`, or a plain UserError when `cls` takes other arguments."""
    try:
        raised = cls(message)
    except TypeError:
        raised = UserError(message)
    raise raised
