"""`retention trigger`: the fast path for triggered audiences after new raw rows land."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retention.cli.pipeline import RawFormat, run_with_progress, say
from retention.core import lock as warehouse_lock
from retention.core.settings import duckdb_path


def trigger(
    raw: Annotated[
        Path | None, typer.Option("--raw", help="Append this file or folder to raw first.")
    ] = None,
    fmt: RawFormat = "canonical",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan the triggered syncs without sending.")
    ] = False,
) -> None:
    """Rebuild the triggered audiences from fresh marts (no ML) and sync them now."""
    from orchestration.defs.triggered.as_of import refuse_pinned
    from orchestration.defs.triggered.selection import INGEST_AND_TRIGGER_JOB, TRIGGERED_JOB
    from orchestration.pipeline import run_pipeline

    db = duckdb_path()
    if db.exists():
        with warehouse_lock.connect(db, on_wait=say) as con:
            refuse_pinned(con)
    job = INGEST_AND_TRIGGER_JOB if raw is not None else TRIGGERED_JOB
    run_with_progress(
        lambda on_progress: run_pipeline(
            job, raw=raw, fmt=fmt, dry_run=dry_run, on_wait=say, on_progress=on_progress
        ),
        label=job,
    )


def register(app: typer.Typer) -> None:
    """Add `trigger` to the `retention` app."""
    app.command("trigger")(trigger)
