"""`retention demo` and `retention report`: the first ten minutes of a new user."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table

from retention.cli.console import make_console
from retention.cli.interrupts import run_interruptible
from retention.core import settings

if TYPE_CHECKING:  # Dagster and dbt load only when the demo runs, so --help stays fast
    from orchestration.demo import DemoSummary, Tracker


class _RichStep:
    """One line of the live display."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def update(self, detail: str, completed: int | None = None, total: int | None = None) -> None:
        """Show `detail` next to the step and move its bar when counts are known."""
        fields: dict = {"detail": detail}
        if total is not None:
            fields["total"] = total
        if completed is not None:
            fields["completed"] = completed
        self._progress.update(self._task, **fields)


class RichTracker:
    """Live status of the demo's steps: a spinner, a bar when counts are known, elapsed time."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=16),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[detail]}", table_column=Column(no_wrap=True)),
            console=console,
        )

    def __enter__(self) -> RichTracker:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    @contextmanager
    def step(self, label: str) -> Iterator[_RichStep]:
        """A step line; marked done (✓) when the block exits without error."""
        task = self._progress.add_task(label, total=None, detail="")
        yield _RichStep(self._progress, task)
        self._progress.update(task, total=1, completed=1)


class _PlainStep:
    """A step off a terminal: prints a line each time another of its sub-steps is done."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self.detail = ""
        self._completed: int | None = None

    def update(self, detail: str, completed: int | None = None, total: int | None = None) -> None:
        """Keep `detail` for the step's last line; print it when `completed` moved on."""
        self.detail = detail
        if completed is not None and completed != self._completed:
            self._completed = completed
            self._console.print(f"  {detail}", highlight=False, soft_wrap=True)


class PlainTracker:
    """The demo's steps off a terminal (CI logs, pipes): one plain line per finished step."""

    def __init__(self, console: Console) -> None:
        self._console = console

    @contextmanager
    def step(self, label: str) -> Iterator[_PlainStep]:
        """Print `label ...`, then `done: label (12.3 s): detail` when the block exits."""
        start = time.perf_counter()
        self._console.print(f"{label} ...", highlight=False, soft_wrap=True)
        step = _PlainStep(self._console)
        yield step
        took = time.perf_counter() - start
        tail = f": {step.detail}" if step.detail else ""
        self._console.print(f"done: {label} ({took:.1f} s){tail}", highlight=False, soft_wrap=True)


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (also by subprocesses like dbt) to stderr meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _auc_line(summary: DemoSummary) -> str:
    """`model 0.855 vs 120-day rule 0.653 (+0.202), recency alone 0.750 (+0.105), ...`."""
    (model, model_auc), *baselines = summary.churn_auc.items()
    versus = ", ".join(f"{name} {auc:.3f} ({model_auc - auc:+.3f})" for name, auc in baselines)
    return f"{model} {model_auc:.3f} vs {versus}" if versus else f"{model} {model_auc:.3f}"


def print_summary(console: Console, summary: DemoSummary) -> None:
    """The end-of-demo summary: what was built, scored and synced, and where to look."""
    console.rule("[bold]Retention demo: done")
    built = ", ".join(f"{n} in {schema}" for schema, n in summary.tables_built.items())
    console.print(f"[bold]Tables built:[/] {sum(summary.tables_built.values())} ({built})")

    segments = Table(title="Customers per RFM segment", title_justify="left")
    segments.add_column("segment")
    segments.add_column("customers", justify="right")
    for name, count in summary.rfm_segments.items():
        segments.add_row(name, f"{count:,}")
    console.print(segments)

    if summary.churn_auc:
        console.print(f"[bold]Churn model AUC[/] (out-of-time validation): {_auc_line(summary)}")
    if summary.churn_model:
        model = summary.churn_model
        console.print(
            f"[bold]Scores from churn model[/] {model['model_version']} trained as of "
            f"{model['as_of']}",
            highlight=False,
        )

    syncs = Table(title="Audiences synced per destination", title_justify="left")
    counts = ("audiences", "members", "added", "removed", "failed", "drift")
    syncs.add_column("destination")
    for column in counts:
        syncs.add_column(column, justify="right")
    for row in summary.destinations:
        syncs.add_row(row["destination"], *(f"{row.get(c, 0):,}" for c in counts))
    console.print(syncs)
    for name, why in summary.not_ok_syncs.items():
        console.print(f"[yellow]Sync not ok:[/] {name}: {why}", highlight=False)
    if any("missing at the provider" in why for why in summary.not_ok_syncs.values()):
        console.print(
            "[yellow]Drift:[/] restore lost members with `retention sync NAME --full-resync "
            "--emulators` (unsubscribed people are never re-added)",
            highlight=False,
        )
    if summary.failed_syncs:
        console.print(
            f"[yellow]Syncs with failed rows:[/] {', '.join(summary.failed_syncs)} "
            "(each row's error is in the report's last section)"
        )
    warnings = [c.removeprefix("WARN ") for c in summary.failed_checks if c.startswith("WARN ")]
    errors = [c for c in summary.failed_checks if not c.startswith("WARN ")]
    if errors:
        console.print(f"[red]Failed checks:[/] {', '.join(errors)}")
    if warnings:
        console.print(f"[yellow]Check warnings:[/] {', '.join(warnings)}")

    console.print(f"[bold]Report:[/]    {summary.report_path}")
    console.print(f"[bold]Warehouse:[/] {summary.duckdb_path}")
    console.print(f"[bold]Dagster UI:[/] {summary.dagster_ui}")


def _report(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="HTML file to write (default: RETENTION_REPORT_PATH, else "
            "reports/retention_report.html). One self-contained file; opens offline.",
        ),
    ] = None,
) -> None:
    """Write the HTML report: segments, cohorts, sales, CLV, churn model, NPS/CSAT, syncs.

    Reads the warehouse (RETENTION_DUCKDB_PATH, default warehouse/retention.duckdb) read-only.
    """
    from retention.report.build import write_report

    result = write_report(settings.duckdb_path(), output or settings.report_path())
    typer.echo(f"Report written to {result.path}")
    for key, reason in result.sections_missing.items():
        typer.secho(f"  section '{key}' is empty: {reason}", fg=typer.colors.YELLOW, err=True)


def _demo(
    customers: Annotated[
        int, typer.Option("--customers", min=100, help="Customers in the generated sample store.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the sample store.")] = 42,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one machine-readable JSON summary and nothing else."),
    ] = False,
    simulate_lift: Annotated[
        bool,
        typer.Option(
            "--simulate-lift",
            help="After the syncs, simulate the month after (win-back works, VIP does not), "
            "rebuild and report the measured lift vs holdout. Adds a second build.",
        ),
    ] = False,
) -> None:
    """Run everything on a sample store: generate, ingest, build, sync to local emulators, report.

    Writes demo_data/, the warehouse (RETENTION_DUCKDB_PATH, default
    warehouse/retention.duckdb) and reports/retention_report.html, then prints a summary.
    """
    from orchestration.demo import SilentTracker, run_demo

    def demo(tracker: Tracker) -> DemoSummary:
        return run_interruptible(
            lambda: run_demo(
                customers=customers, seed=seed, tracker=tracker, simulate_lift=simulate_lift
            ),
            db=settings.duckdb_path(),
        )

    if as_json:
        with stdout_to_stderr():
            summary = demo(SilentTracker())
        typer.echo(json.dumps(summary.to_dict(), default=str))
        return
    # Bound to the real stdout: the build redirects sys.stdout into its log file meanwhile.
    console = make_console(file=sys.stdout)
    if not console.is_terminal:
        summary = demo(PlainTracker(console))
    else:
        with RichTracker(console) as tracker:
            summary = demo(tracker)
    print_summary(console, summary)


def register(app: typer.Typer) -> None:
    """Add `retention demo` and `retention report` to the `retention` app."""
    app.command("demo")(_demo)
    app.command("report")(_report)
