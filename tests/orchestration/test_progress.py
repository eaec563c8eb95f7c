"""A run's progress is read from its own Dagster events: steps and assets done of total."""

from __future__ import annotations

import io
import re
import uuid

import dagster as dg
import pytest
from rich.console import Console

from orchestration.progress import ProgressListener, RunProgress
from retention.cli.progress import RunProgressView


@dg.asset
def orders() -> dg.MaterializeResult:
    """A first asset."""
    return dg.MaterializeResult()


@dg.asset(deps=[orders])
def customers() -> dg.MaterializeResult:
    """A second asset."""
    return dg.MaterializeResult()


@dg.asset(deps=[orders])
def broken() -> dg.MaterializeResult:
    """Always fails."""
    raise ValueError("boom")


@dg.asset(deps=[broken])
def after_broken() -> dg.MaterializeResult:
    """Skipped: its upstream failed."""
    return dg.MaterializeResult()


def _run(assets: list[dg.AssetsDefinition]) -> tuple[list[RunProgress], list[str | None]]:
    """Execute a job of `assets` on a real instance; every snapshot and `finished` line sent."""
    defs = dg.Definitions(assets=assets, jobs=[dg.define_asset_job("job")])
    job = defs.resolve_job_def("job")
    snapshots: list[RunProgress] = []
    finished: list[str | None] = []

    def record(progress: RunProgress) -> None:
        snapshots.append(progress)
        finished.append(progress.finished)

    with dg.instance_for_test() as instance:
        run_id = str(uuid.uuid4())
        instance.add_event_listener(run_id, ProgressListener(job, record))
        job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    return snapshots, finished


def test_progress_counts_every_step_and_asset_of_a_run() -> None:
    snapshots, finished = _run([orders, customers])
    progress = snapshots[-1]
    assert (progress.steps_done, progress.steps_total) == (2, 2)
    assert (progress.assets_done, progress.assets_total) == (2, 2)
    ends = [line for line in finished if line]
    assert [line.split()[:2] for line in ends] == [["orders", "done"], ["customers", "done"]]
    assert all(re.fullmatch(r"\w+ done in \d+\.\d s", line) for line in ends), ends
    assert progress.current is None and progress.counts() == "2/2 assets, 2/2 steps"


def test_failed_and_skipped_steps_end_the_count_too() -> None:
    snapshots, finished = _run([orders, broken, after_broken])
    progress = snapshots[-1]
    assert (progress.steps_done, progress.steps_total) == (3, 3)
    assert (progress.assets_done, progress.assets_total) == (1, 3)
    ends = [line.split()[:2] for line in finished if line]
    assert ends == [["orders", "done"], ["broken", "failed"], ["1", "step"]]
    assert finished[-1] == "1 step not run (upstream failed)"


def test_plain_view_prints_one_line_per_finished_step() -> None:
    out = io.StringIO()
    view = RunProgressView(Console(file=out, force_terminal=False, width=200), "build")
    progress = RunProgress(steps_total=3, assets_total=5, started=0.0)
    with view:
        progress.current = "dbt_models"
        view(progress)  # a step started: nothing printed off a terminal
        progress.steps_done, progress.assets_done = 1, 4
        progress.current, progress.finished = None, "dbt_models done in 41.2 s"
        view(progress)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    expected = r"\[\d+:\d\d\] dbt_models done in 41\.2 s \(4/5 assets, 1/3 steps\)"
    assert re.fullmatch(expected, lines[0]), lines


def test_terminal_view_draws_the_bar_then_clears_it() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    progress = RunProgress(steps_total=3, assets_total=5)
    with RunProgressView(console, "build") as view:
        progress.current, progress.assets_done = "churn", 2
        view(progress)
        drawn = out.getvalue()
    assert "build" in drawn and "2/5" in drawn and "step 1/3 churn" in drawn


@pytest.mark.slow
@pytest.mark.xdist_group("report")
def test_the_demo_run_counts_up_to_its_totals(pipeline, monkeypatch, defs) -> None:
    """Replayed through a listener, the real demo run's events reach every step and asset."""
    monkeypatch.setenv("DAGSTER_HOME", str(pipeline.db_path.parent / "dagster_home"))
    job = defs.resolve_job_def("full_pipeline")
    seen: list[RunProgress] = []
    listener = ProgressListener(job, seen.append)
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs(dg.RunsFilter(job_name="full_pipeline"), limit=1)
        for entry in instance.all_logs(run.run_id):
            listener(entry)
    progress = seen[-1]
    assert progress.steps_done == progress.steps_total == len(job.graph.nodes)
    failed = len(pipeline.summary.failed_syncs)
    assert progress.assets_total - failed <= progress.assets_done <= progress.assets_total
    assert progress.assets_total == len(job.asset_layer.selected_asset_keys) > 50
