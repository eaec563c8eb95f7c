"""Progress of an in-process Dagster run, read from its event stream as the run goes.

`run_pipeline` registers a `ProgressListener` on the instance for the run it is about to
execute; every stored event of that run reaches it (Dagster calls instance listeners after
storing each event), and it hands a `RunProgress` snapshot to the caller's callback whenever a
step starts or ends or an asset is materialized. The CLI draws it (`retention.cli.progress`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

RUN_ENDS = {dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE}
STEP_ENDS = {
    dg.DagsterEventType.STEP_SUCCESS: "done",
    dg.DagsterEventType.STEP_FAILURE: "failed",
    dg.DagsterEventType.STEP_SKIPPED: "skipped",
}


@dataclass
class RunProgress:
    """Where a run is: steps and assets done of their totals, the current step, elapsed time.

    `finished` is set (to e.g. `dbt_models done in 41.2 s`) on the snapshot sent when a step
    ends, or when the run ends with steps that never ran, and None on the others.
    """

    steps_total: int
    assets_total: int
    started: float = field(default_factory=time.monotonic)
    steps_done: int = 0
    assets_done: int = 0
    current: str | None = None
    finished: str | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def counts(self) -> str:
        """`12/59 assets, 3/28 steps`."""
        assets = min(self.assets_done, self.assets_total)
        return f"{assets}/{self.assets_total} assets, {self.steps_done}/{self.steps_total} steps"

    def detail(self) -> str:
        """Short live status: the running step, else the one that just ended, and the counts."""
        doing = f"running {self.current}" if self.current else self.finished or "starting"
        return f"{doing} ({self.counts()})"

    def line(self) -> str:
        """The plain line of a step that ended: `[1:05] dbt_models done in 41.2 s (40/59 ...)`."""
        minutes, seconds = divmod(int(self.elapsed), 60)
        return f"[{minutes}:{seconds:02d}] {self.finished} ({self.counts()})"


class ProgressListener:
    """An instance event listener turning one run's events into `RunProgress` updates."""

    def __init__(self, job: dg.JobDefinition, on_progress: Callable[[RunProgress], None]) -> None:
        self.progress = RunProgress(
            steps_total=len(job.graph.nodes),
            assets_total=len(job.asset_layer.selected_asset_keys),
        )
        self._on_progress = on_progress
        self._step_started: dict[str, float] = {}

    def __call__(self, entry: dg.EventLogEntry) -> None:
        """Update the progress from one stored event (Dagster's listener signature)."""
        event = entry.dagster_event
        if event is None:
            return
        progress = self.progress
        progress.finished = None
        if event.event_type == dg.DagsterEventType.STEP_START:
            progress.current = event.step_key
            self._step_started[event.step_key] = time.monotonic()
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            progress.assets_done += 1
        elif event.event_type in STEP_ENDS:
            progress.steps_done += 1
            started = self._step_started.pop(event.step_key, None)
            took = f" in {time.monotonic() - started:.1f} s" if started is not None else ""
            progress.finished = f"{event.step_key} {STEP_ENDS[event.event_type]}{took}"
            if progress.current == event.step_key:
                progress.current = None
        elif event.event_type in RUN_ENDS and progress.steps_done < progress.steps_total:
            # steps whose upstream failed end without an event of their own
            not_run = progress.steps_total - progress.steps_done
            progress.steps_done = progress.steps_total
            steps = "step" if not_run == 1 else "steps"
            progress.finished = f"{not_run} {steps} not run (upstream failed)"
        else:
            return
        self._on_progress(progress)
