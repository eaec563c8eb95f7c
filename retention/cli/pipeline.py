"""`retention build` and `retention run` execute the Dagster asset graph in-process; `parse`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from retention.cli.console import make_console
from retention.cli.interrupts import run_interruptible
from retention.cli.progress import RunProgressView
from retention.core.errors import InputError
from retention.core.settings import duckdb_path

if TYPE_CHECKING:  # Dagster and dbt load only when a command runs, so --help stays fast
    from orchestration.pipeline import PipelineResult

MAX_DETAIL_LINES = 20

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Point-in-time date YYYY-MM-DD (default: day after last order)."),
]
RawFormat = Annotated[
    str, typer.Option("--format", help="Format of --raw: canonical, shopify, ...")
]
MinBuyers = Annotated[
    int | None,
    typer.Option("--min-buyers", help="Fit churn/CLV from this many buyers (default 500)."),
]
MinRepeatBuyers = Annotated[
    int | None,
    typer.Option("--min-repeat-buyers", help="... and this many repeat buyers (default 50)."),
]
MinHistoryDays = Annotated[
    int | None,
    typer.Option("--min-history-days", help="... and this many days of orders (default 180)."),
]


def model_minimums(
    min_buyers: int | None, min_repeat_buyers: int | None, min_history_days: int | None
) -> dict[str, int]:
    """The minimums given on the command line, checked now (one line when out of range)."""
    from pydantic import ValidationError

    from orchestration.defs.ml.resources import ModelMinimums

    given = {
        "min_buyers": min_buyers,
        "min_repeat_buyers": min_repeat_buyers,
        "min_history_days": min_history_days,
    }
    given = {name: value for name, value in given.items() if value is not None}
    try:
        ModelMinimums(**given)
    except ValidationError as error:
        problem = error.errors()[0]
        flag = "--" + str(problem["loc"][0]).replace("_", "-")
        raise InputError(f"{flag} {problem['input']}: {problem['msg'].lower()}") from None
    return given


def build(
    as_of: AsOf = None,
    target: Annotated[str, typer.Option(help="dbt target in dbt_project/profiles.yml.")] = "duckdb",
    min_buyers: MinBuyers = None,
    min_repeat_buyers: MinRepeatBuyers = None,
    min_history_days: MinHistoryDays = None,
) -> None:
    """Build models, churn scores, CLV and audiences through the Dagster asset graph."""
    from orchestration.pipeline import BUILD_JOB, run_pipeline

    minimums = model_minimums(min_buyers, min_repeat_buyers, min_history_days)
    run_with_progress(
        lambda on_progress: run_pipeline(
            BUILD_JOB,
            as_of=as_of,
            target=target,
            on_wait=say,
            minimums=minimums,
            on_progress=on_progress,
        ),
        label="build",
    )


def run(
    as_of: AsOf = None,
    raw: Annotated[
        Path | None, typer.Option("--raw", help="Load this file or folder first.")
    ] = None,
    fmt: RawFormat = "canonical",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan every sync without sending anything.")
    ] = False,
    date_format: Annotated[
        str | None,
        typer.Option("--date-format", help="Order of slash dates in --raw: DMY | MDY | ISO."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace each raw table the --raw files hold by them (default: append, "
            "each file once).",
        ),
    ] = False,
    min_buyers: MinBuyers = None,
    min_repeat_buyers: MinRepeatBuyers = None,
    min_history_days: MinHistoryDays = None,
) -> None:
    """Ingest (with --raw), build, score and sync every audience through the asset graph."""
    from orchestration.pipeline import FULL_PIPELINE_JOB, FULL_REFRESH_JOB, run_pipeline
    from retention.ingest.options import IngestOptions

    job = FULL_PIPELINE_JOB if raw is not None else FULL_REFRESH_JOB
    options = IngestOptions(date_format=date_format, replace=replace)  # checks the flag now
    ingest = {"date_format": options.date_format, "replace": options.replace}
    minimums = model_minimums(min_buyers, min_repeat_buyers, min_history_days)
    run_with_progress(
        lambda on_progress: run_pipeline(
            job,
            as_of=as_of,
            raw=raw,
            fmt=fmt,
            dry_run=dry_run,
            on_wait=say,
            ingest=ingest,
            minimums=minimums,
            on_progress=on_progress,
        ),
        label=job,
    )


def parse() -> None:
    """Parse the dbt project (`dbt parse`) if a model, macro or config changed since the last time.

    Dagster reads the manifest this writes; `build`, `run`, `demo` and `dev` parse first by
    themselves, so this is for a daemon or code server started some other way.
    """
    from orchestration.defs.dbt.project import prepare_dbt_project

    typer.echo(f"dbt manifest up to date: {prepare_dbt_project()}")


def register(app: typer.Typer) -> None:
    """Add `build`, `run` and `parse` to the `retention` app."""
    app.command("build")(build)
    app.command("run")(run)
    app.command("parse")(parse)


def say(message: str) -> None:
    """A wait or notice for the user, in yellow on stderr (stdout keeps the summary)."""
    make_console(stderr=True).print(f"[yellow]{message}[/yellow]")


def run_with_progress(work: Callable[[Callable], PipelineResult], label: str) -> None:
    """Run `work(on_progress)` interruptibly with progress on stdout, then print its summary."""
    # Bound to the real stdout: the run sends sys.stdout to its log file meanwhile.
    console = make_console(file=sys.stdout)
    with RunProgressView(console, label) as view:
        result = run_interruptible(lambda: work(view), db=duckdb_path())
    print_summary(result, console)
    if not result.success:
        raise typer.Exit(1)


def print_summary(result: PipelineResult, console: Console) -> None:
    """A short rich summary: assets per layer, syncs, failed checks and steps."""
    from orchestration.pipeline import SYNC_COUNTS

    status = "[green]succeeded[/green]" if result.success else "[red]failed[/red]"
    layers = ", ".join(f"{n} {group}" for group, n in result.groups().items()) or "nothing"
    console.print(f"[bold]{result.job}[/bold] {status}: materialized {layers}")
    console.print(f"warehouse {result.duckdb_path}  (Dagster run {result.run_id[:8]})")
    syncs = result.syncs()
    if syncs:
        table = Table("sync", "status", *SYNC_COUNTS, box=None)
        for name, meta in sorted(syncs.items()):
            table.add_row(
                name, str(meta.get("status")), *(str(meta.get(c, 0)) for c in SYNC_COUNTS)
            )
        console.print(table)
    console.print(result.checks_line())
    for failure in [*result.check_errors(), *result.check_warnings()]:
        detail = f": {failure.description}" if failure.description else ""
        console.print(
            f"  [{'red' if failure.severity == 'ERROR' else 'yellow'}]{failure.severity}[/] "
            f"{failure.asset} {failure.check}{detail}",
            highlight=False,
        )
    for step, message in result.failed_steps.items():
        head, *details = message.splitlines() or [""]
        console.print(f"[red]step {step} failed:[/red] {head}", highlight=False)
        for line in details[:MAX_DETAIL_LINES]:
            console.print(line, highlight=False, soft_wrap=True)
    if result.skipped_steps:
        console.print(f"skipped (upstream failed): {', '.join(sorted(result.skipped_steps))}")
    if not result.success:
        console.print(f"full log: {result.log_path}")
