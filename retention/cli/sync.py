"""Activation CLI commands: `retention sync`, `retention syncs`, `retention emulators`."""

from __future__ import annotations

import difflib
import json
import time
from typing import Annotated

import typer
from rich.table import Table

from retention.cli.console import make_console
from retention.core.errors import InputError
from retention.core.lock import connect

SYNC_LIST_COLUMNS = (
    "name",
    "model",
    "destination",
    "target",
    "mode",
    "channel",
    "last_status",
    "last_run_at",
)


def _syncs_table(results) -> Table:
    table = Table(title="Audience syncs")
    for column in (
        "sync",
        "status",
        "added",
        "updated",
        "removed",
        "failed",
        "no consent",
        "suppressed",
        "missing at provider",
        "writes",
        "duration",
    ):
        table.add_column(column, justify="left" if column in ("sync", "status") else "right")
    for r in results:
        colour = {"success": "green", "dry_run": "cyan", "partial": "yellow"}.get(r.status, "red")
        table.add_row(
            r.sync_name,
            f"[{colour}]{r.status}[/{colour}]",
            str(r.added),
            str(r.updated),
            str(r.removed),
            str(r.failed),
            str(r.skipped_no_consent),
            str(r.skipped_suppressed),
            str(r.drift_missing),
            str(r.write_requests),
            f"{r.duration_s:.1f}s",
        )
    return table


def sync(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sync names (default: every declared sync).")
    ] = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and store the diff; send nothing."),
    approve_removals: bool = typer.Option(
        False,
        "--approve-removals",
        help="Allow mirror syncs to remove more than max_removal_share.",
    ),
    approve_growth: bool = typer.Option(
        False,
        "--approve-growth",
        help="Allow a sync to add more than max_growth_share of the members it holds.",
    ),
    full_resync: bool = typer.Option(
        False,
        "--full-resync",
        help="Ignore the last synced state and re-send every consented member "
        "(restores members lost at the provider; messages are never re-sent).",
    ),
) -> None:
    """Sync audiences through the Dagster sync assets; exits 1 when a sync failed, was blocked
    or is declared wrongly (the other syncs still run)."""
    from activation.declarations import load_sync_declarations
    from orchestration.defs.activation.assets import SyncRunConfig
    from orchestration.defs.activation.runner import run_sync_assets
    from orchestration.pipeline import dagster_instance, raise_user_error
    from orchestration.runs import recover_dead_runs
    from retention.cli.interrupts import run_interruptible
    from retention.core.settings import DBT_PROJECT_DIR, prepare_environment

    declarations = load_sync_declarations(DBT_PROJECT_DIR)
    declared = {s.name: s for s in declarations.syncs}
    invalid = [b for b in declarations.broken if not names or b.name in names]
    wanted = [n for n in names or [] if n not in {b.name for b in invalid}]
    unknown = sorted(set(wanted) - set(declared))
    if unknown:
        close = sorted(
            {m for n in unknown for m in difflib.get_close_matches(n, declarations.names(), n=3)}
        )
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"unknown sync(s) {', '.join(unknown)}; {hint}`retention syncs` lists all "
            f"{len(declarations.names())} declared syncs"
        )
    selected = [declared[n] for n in wanted] if names else list(declared.values())
    console = make_console()
    db, instance = prepare_environment(), dagster_instance()
    warn = make_console(stderr=True)
    recover_dead_runs(instance, db, say=lambda line: warn.print(f"[yellow]{line}[/yellow]"))
    # the Dagster sync assets, exactly as a run of the graph executes them
    config = SyncRunConfig(
        dry_run=dry_run,
        approve_removals=approve_removals,
        approve_growth=approve_growth,
        full_resync=full_resync,
    )
    results, run = run_interruptible(
        lambda: run_sync_assets(selected, db_path=db, instance=instance, config=config), db=db
    )
    raise_user_error(run)
    console.print(_syncs_table(results))
    for result in results:
        for error in result.errors[:5]:
            console.print(f"[red]{result.sync_name}[/red]: {error}", highlight=False)
        if result.drift_missing or result.drift_unexpected:
            console.print(
                f"[yellow]{result.sync_name}[/yellow]: drift: {result.drift_missing} members "
                f"missing at the provider, {result.drift_unexpected} there that this sync never "
                f"sent (activation.sync_drift); restore with `retention sync {result.sync_name} "
                "--full-resync`",
                highlight=False,
            )
    for broken in invalid:
        console.print(f"[red]{broken.name} not run[/red]: {broken.error}", highlight=False)
    if invalid or not all(r.ok for r in results):
        raise typer.Exit(1)


def _last_runs(path) -> dict[str, tuple]:
    """sync name -> (status, finished_at) of its latest run, if the warehouse has any."""
    if not path.exists():
        return {}
    with connect(path, read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'activation' AND table_name = 'sync_runs'"
        ).fetchone()[0]
        if not found:
            return {}
        rows = con.execute(
            "SELECT sync_name, status, finished_at FROM activation.sync_runs "
            "QUALIFY row_number() OVER (PARTITION BY sync_name ORDER BY started_at DESC) = 1"
        ).fetchall()
    return {name: (status, finished) for name, status, finished in rows}


def syncs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List declared syncs: name, audience model, destination, target, mode, channel, last run;
    an invalid declaration is listed with status `invalid` and its error."""
    from activation.declarations import load_sync_declarations
    from retention.core.settings import DBT_PROJECT_DIR, duckdb_path

    declarations = load_sync_declarations(DBT_PROJECT_DIR)
    last = _last_runs(duckdb_path())
    rows = [
        {
            "name": s.name,
            "model": s.model,
            "destination": s.destination,
            "target": s.target,
            "mode": s.mode,
            "channel": s.channel,
            "last_status": last.get(s.name, (None, None))[0],
            "last_run_at": str(last[s.name][1]) if s.name in last else None,
        }
        for s in declarations.syncs
    ]
    rows += [
        {"name": b.name, "model": b.model, "last_status": "invalid", "error": b.error}
        for b in declarations.broken
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Declared syncs")
    for column in SYNC_LIST_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(column)) for column in SYNC_LIST_COLUMNS))
    console = make_console()
    console.print(table)
    for broken in declarations.broken:
        console.print(f"[red]invalid sync {broken.name}[/red]: {broken.error}", highlight=False)


def emulators(
    port: int = typer.Option(0, help="Port on 127.0.0.1 (0: any free port)."),
    fault_rate: float = typer.Option(0.0, help="Share of requests answered 429/503."),
) -> None:
    """Run every provider emulator on 127.0.0.1 until Ctrl-C and print their env vars."""
    from activation.emulators import running_emulators

    with running_emulators(port=port, fault_rate=fault_rate) as emus:
        for key, value in sorted(emus.env.items()):
            typer.echo(f"export {key}={value}")
        typer.echo(f"# emulators listening on {emus.url}; Ctrl-C to stop", err=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `retention` app."""
    app.command("sync")(sync)
    app.command("syncs")(syncs)
    app.command("emulators")(emulators)
