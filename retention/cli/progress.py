"""Progress of a Dagster run on screen: a live bar in a terminal, plain lines in a log.

`retention build` and `retention run` pass a `RunProgressView` to `run_pipeline` as its
`on_progress`. In a terminal it shows a rich bar of assets done of total, the steps done, the
current step and the elapsed time; off a terminal (CI logs, pipes) it prints one plain line per
finished step. It draws on the console it was given, bound to the real stdout before the run
sends `sys.stdout` to its log file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column

if TYPE_CHECKING:
    from orchestration.progress import RunProgress


class RunProgressView:
    """Draws `RunProgress` snapshots on `console` (a context manager; call it with each one)."""

    def __init__(self, console: Console, label: str) -> None:
        self._console = console
        self._bar: Progress | None = None
        if console.is_terminal:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("assets"),
                TimeElapsedColumn(),
                TextColumn("[dim]{task.fields[detail]}", table_column=Column(no_wrap=True)),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task(label, total=None, detail="starting")

    def __enter__(self) -> RunProgressView:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, progress: RunProgress) -> None:
        """Show one snapshot: move the bar, or print the line of a step that finished."""
        if self._bar is not None:
            step = min(progress.steps_done + 1, progress.steps_total)
            steps = f"step {step}/{progress.steps_total}"
            doing = progress.current or progress.finished or ""
            self._bar.update(
                self._task,
                total=progress.assets_total,
                completed=min(progress.assets_done, progress.assets_total),
                detail=f"{steps} {doing}",
                refresh=True,
            )
        elif progress.finished:
            self._console.print(progress.line(), highlight=False, soft_wrap=True)
