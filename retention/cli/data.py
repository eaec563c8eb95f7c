"""CLI commands of the data area: `retention sample` and `retention ingest`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from retention.cli.console import make_console
from retention.core.errors import InputError
from retention.ingest import FORMATS, IngestReport, ingest_path
from retention.ingest.options import DATE_ORDERS, IngestOptions
from retention.sample_store import DEFAULT_END_DATE, generate_store


def sample(
    path: Annotated[Path, typer.Argument(help="Folder to write the canonical CSV files into.")],
    customers: Annotated[
        int, typer.Option("--customers", "-n", help="Number of customers.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed (same seed, same files).")
    ] = 42,
    end_date: Annotated[
        str, typer.Option("--end-date", help="Last day of history (YYYY-MM-DD).")
    ] = DEFAULT_END_DATE.isoformat(),
) -> None:
    """Write a realistic synthetic store as canonical CSV files."""
    if customers < 1:
        raise InputError(f"--customers must be at least 1, got {customers}")
    try:
        end = date.fromisoformat(end_date)
    except ValueError:
        raise InputError(f"--end-date {end_date!r} is not a date; use YYYY-MM-DD") from None
    counts = generate_store(path, customers=customers, seed=seed, end_date=end)
    table = Table(title=f"Sample store in {path}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(f"{name}.csv", f"{rows:,}")
    make_console().print(table)


def ingest(
    path: Annotated[Path, typer.Argument(help="A file, or a folder of files, to load.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"Input format: {' | '.join(FORMATS)}.")
    ] = "canonical",
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help=f"Order of slash dates like 03/04/2026: {' | '.join(DATE_ORDERS)} "
            "(default: detect; ambiguous files are refused).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Snapshot: replace each raw table the files hold by them, even with none "
            "(default: new files append, a file already loaded is skipped, a changed one "
            "replaces its own rows).",
        ),
    ] = False,
) -> None:
    """Load store files into the warehouse's raw schema; bad rows go to raw.quarantine."""
    options = IngestOptions(date_format=date_format, replace=replace)
    print_report(ingest_path(path, fmt, options=options))


def print_report(report: IngestReport) -> None:
    """Print the run's load log (one row per file) and its quarantine reasons."""
    console = make_console()
    table = Table(title=f"Ingest {report.load_id} ({report.format}) into {report.db_path}")
    for column in ("file", "table", "read", "loaded", "quarantined"):
        table.add_column(column, justify="left" if column in ("file", "table") else "right")
    for f in report.files:
        table.add_row(
            f.file_key or Path(f.source_file).name,
            f.table_name,
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_quarantined:,}",
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        f"{report.rows_read:,}",
        f"{report.rows_loaded:,}",
        f"{report.rows_quarantined:,}",
    )
    console.print(table)
    if report.anonymous_rows:
        console.print(f"{report.anonymous_rows:,} rows without a customer id kept as anonymous")
    for kind, n in report.quarantine_reasons.items():
        console.print(f"quarantined {n:,}: {kind} (see raw.quarantine)")
    unchanged = report.unchanged_files
    for name in unchanged if len(unchanged) <= 5 else ():
        console.print(f"unchanged {name}: loaded before with the same content, skipped")
    if len(unchanged) > 5:
        console.print(f"{len(unchanged):,} files unchanged since their last load, skipped")
    for name in report.ignored_files:
        console.print(
            f"ignored {name}: its name names no raw table; name it <table>.csv, "
            f"<table>_<date>.csv or put it in a folder named <table>"
        )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `retention` app."""
    app.command("sample")(sample)
    app.command("ingest")(ingest)
