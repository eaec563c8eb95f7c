"""The demo: sample store -> ingest -> Dagster build -> sync to local emulators -> report.

Each step runs the same function its own CLI command runs; this module only sequences them,
reports progress through a `Tracker` and reads the summary back from the warehouse.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from retention.core import settings
from retention.core.errors import UserError

if TYPE_CHECKING:
    from activation.emulators import Emulators
    from orchestration.pipeline import PipelineResult

DEFAULT_DATA_DIR = Path("demo_data")
DAGSTER_UI_HINT = "make dev  ->  http://127.0.0.1:3000"


class Step(Protocol):
    """A running step: reports what it is doing."""

    def update(self, detail: str, completed: int | None = None, total: int | None = None) -> None:
        """Show `detail` and, when known, progress as completed/total."""


class Tracker(Protocol):
    """Shows progress of the demo's steps (a rich live display, or nothing with --json)."""

    def step(self, label: str) -> AbstractContextManager[Step]:
        """Open a step labelled `label`; it is done when the context exits."""


class _QuietStep:
    def update(self, detail: str, completed: int | None = None, total: int | None = None) -> None:
        """Nothing to show in quiet mode."""


class SilentTracker:
    """Tracker for `--json`: shows nothing."""

    @contextmanager
    def step(self, label: str) -> Iterator[Step]:
        """Run the step without output."""
        yield _QuietStep()


@dataclass
class DemoSummary:
    """What the demo built, scored and synced, and where to look next."""

    customers: int
    seed: int
    data_dir: str
    duckdb_path: str
    report_path: str
    dagster_ui: str
    step_seconds: dict[str, float] = field(default_factory=dict)
    tables_built: dict[str, int] = field(default_factory=dict)
    rfm_segments: dict[str, int] = field(default_factory=dict)
    churn_auc: dict[str, float] = field(default_factory=dict)
    churn_model: dict[str, str] = field(default_factory=dict)  # the scores' model_version, as_of
    destinations: list[dict] = field(default_factory=list)
    failed_syncs: list[str] = field(default_factory=list)
    not_ok_syncs: dict[str, str] = field(default_factory=dict)  # latest run not ok: why
    failed_checks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The summary as plain JSON-ready data."""
        return asdict(self)


@contextmanager
def exported(env: dict[str, str]) -> Iterator[None]:
    """Set `env` in os.environ (the destinations read their URLs and keys there), then restore."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _timed(tracker: Tracker, label: str, seconds: dict[str, float]) -> Iterator[Step]:
    start = time.perf_counter()
    with tracker.step(label) as step:
        yield step
    seconds[label] = round(time.perf_counter() - start, 1)


def run_demo(
    *,
    customers: int = 10_000,
    seed: int = 42,
    tracker: Tracker,
    data_dir: Path = DEFAULT_DATA_DIR,
    report_path: Path | None = None,
    db_path: Path | None = None,
    simulate_lift: bool = False,
) -> DemoSummary:
    """Run the whole pipeline on a generated store and return its summary.

    `db_path` defaults to RETENTION_DUCKDB_PATH (else warehouse/retention.duckdb) and
    `report_path` to RETENTION_REPORT_PATH (else reports/retention_report.html).
    """
    from orchestration.lift_demo import measure_lift
    from retention.report.build import write_report
    from retention.report.summary import read_facts
    from retention.sample_store import generate_store

    db_path = settings.prepare_environment(db_path)
    seconds: dict[str, float] = {}
    with _timed(tracker, "Generate sample store", seconds) as step:
        counts = generate_store(data_dir, customers=customers, seed=seed)
        step.update(", ".join(f"{n:,} {table}" for table, n in counts.items()))
    label = "Ingest, build and sync with Dagster (raw, dbt, churn, CLV, audiences, syncs)"
    with (
        _timed(tracker, label, seconds) as step,
        warehouse_emulators(db_path) as emulators,
        exported(emulators.env),
    ):
        run = _run_graph(step, data_dir, db_path)
    with _timed(tracker, "Measure lift vs holdout", seconds) as step:  # orchestration/lift_demo
        step.update(measure_lift(db_path, data_dir, step.update, simulate=simulate_lift, seed=seed))
    with _timed(tracker, "Write HTML report", seconds) as step:
        report = write_report(db_path, report_path or settings.report_path())
        step.update(str(report.path))
    facts = read_facts(db_path)
    return DemoSummary(
        customers=customers,
        seed=seed,
        data_dir=str(data_dir.resolve()),
        duckdb_path=str(db_path),
        report_path=str(report.path),
        dagster_ui=DAGSTER_UI_HINT,
        step_seconds=seconds,
        tables_built=facts.tables_built,
        rfm_segments=facts.rfm_segments,
        churn_auc=facts.churn_auc,
        churn_model=facts.churn_model,
        destinations=facts.destinations,
        failed_syncs=failed_syncs(run),
        not_ok_syncs=facts.not_ok_syncs,
        failed_checks=[f"{c.severity} {c.asset} {c.check}" for c in run.failed_checks],
    )


def _run_graph(step: Step, data_dir: Path, db_path: Path) -> PipelineResult:
    """Ingest `data_dir`, build and sync in one run of the `full_pipeline` job, on the Dagster
    instance `make dev` opens, so the UI shows every asset materialized. UserError if a step
    other than a sync failed (failed syncs are reported in the summary)."""
    from orchestration.defs.activation.assets import ACTIVATION_GROUP
    from orchestration.pipeline import FULL_PIPELINE_JOB, run_pipeline

    result = run_pipeline(
        FULL_PIPELINE_JOB,
        raw=data_dir,
        db_path=db_path,
        on_wait=step.update,
        on_progress=lambda p: step.update(p.detail(), p.steps_done, p.steps_total),
    )
    failed = {
        key: message
        for key, message in result.failed_steps.items()
        if not key.startswith(f"{ACTIVATION_GROUP}__")
    }
    if failed:
        causes = "; ".join(f"{key}: {' '.join(message.split())}" for key, message in failed.items())
        raise UserError(f"the build failed ({causes}); full log in {result.log_path}")
    raw = [meta for key, meta in result.materialized.items() if key.startswith("raw/")]
    loaded = sum(int(meta.get("rows_loaded", 0)) for meta in raw)
    quarantined = sum(int(meta.get("rows_quarantined", 0)) for meta in raw)
    step.update(
        f"{loaded:,} rows loaded, {quarantined:,} quarantined; {len(result.materialized)} "
        f"assets, {result.passed_checks} checks passed, {len(result.syncs())} syncs"
    )
    return result


def failed_syncs(result: PipelineResult) -> list[str]:
    """Syncs that failed, or delivered with failed rows, in `result`."""
    from orchestration.defs.activation.assets import ACTIVATION_GROUP

    names = {
        name
        for name, meta in result.syncs().items()
        if meta.get("status") == "failed" or meta.get("failed")
    }
    prefix = f"{ACTIVATION_GROUP}__"
    names |= {key[len(prefix) :] for key in result.failed_steps if key.startswith(prefix)}
    return sorted(names)


@contextmanager
def warehouse_emulators(db_path: Path, **options: object) -> Iterator[Emulators]:
    """The provider emulators of the warehouse at `db_path`, as `retention demo`, `dev`,
    `emulators` and `sync --emulators` run them: the emulated accounts start from what the last
    session left (saved next to the warehouse) and are saved on exit, so the warehouse's sync
    state and the emulated lists agree; WhatsApp templates approved. A state file without its
    warehouse (deleted or never built) is dropped: a new warehouse starts with empty accounts.
    """
    from activation.emulators import running_emulators, state_file_for

    state_file = state_file_for(db_path)
    if not db_path.exists():
        state_file.unlink(missing_ok=True)
    with running_emulators(state_file=state_file, **options) as emulators:
        approve_whatsapp_templates(emulators)
        yield emulators


def approve_whatsapp_templates(emulators: Emulators) -> None:
    """Approve the project's WhatsApp templates in the emulated account.

    WhatsApp only delivers templates approved in WhatsApp Manager; the demo's (and `retention
    dev`'s) emulated account has them approved, as a real account would before its first send.
    """
    from activation.declarations import load_sync_declarations

    for sync in load_sync_declarations(settings.DBT_PROJECT_DIR).syncs:
        if sync.destination == "whatsapp":
            emulators.whatsapp.approve_template(sync.target)
