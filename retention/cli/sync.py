"""Activation CLI commands: `retention sync`, `retention syncs`, `retention emulators`."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from retention.cli.console import make_console
from retention.core.errors import InputError
from retention.core.lock import connect, write_lock

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
        help="Allow a sync's audience to grow beyond its size guards (max_growth_share, "
        "growth_floor, max_first_run_size).",
    ),
    approve_empty: bool = typer.Option(
        False,
        "--approve-empty",
        help="Allow a sync whose audience became empty (it typically has members).",
    ),
    full_resync: bool = typer.Option(
        False,
        "--full-resync",
        help="Ignore the last synced state and re-send every consented member "
        "(restores members lost at the provider; messages are never re-sent).",
    ),
    with_emulators: bool = typer.Option(
        False,
        "--emulators",
        help="Sync to the local provider emulators with the demo's accounts (kept next to the "
        "warehouse): started for this command, stopped and saved after it.",
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
    db_path = prepare_environment()
    console = make_console()
    warn = make_console(stderr=True)
    config = SyncRunConfig(
        dry_run=dry_run,
        approve_removals=approve_removals,
        approve_growth=approve_growth,
        approve_empty=approve_empty,
        full_resync=full_resync,
    )
    # syncs serialise on the warehouse write lock: say what this one waits for, and for how long
    with _waiting_said(db_path):
        require_built_audiences(
            db_path,
            sorted({s.model for s in selected}),
            on_wait=lambda line: warn.print(f"[yellow]{line}[/yellow]", highlight=False),
        )
        instance = dagster_instance()
        recover_dead_runs(
            instance, db_path, say=lambda line: warn.print(f"[yellow]{line}[/yellow]")
        )
        # the Dagster sync assets, exactly as a run of the graph executes them
        with _destinations_env(db_path, with_emulators):
            results, run = run_interruptible(
                lambda: run_sync_assets(
                    selected, db_path=db_path, instance=instance, config=config
                ),
                db=db_path,
            )
    raise_user_error(run)
    console.print(_syncs_table(results))
    held = _held_back(db_path, [r.run_id for r in results if r.run_id])
    for result in results:
        for error in result.errors[:5]:
            console.print(f"[red]{result.sync_name}[/red]: {error}", highlight=False)
        if held.get(result.run_id):
            console.print(
                f"[yellow]{result.sync_name}[/yellow]: {held[result.run_id]} messages held back: "
                f"their delivery is unknown and {result.sync_name}'s provider cannot look "
                "messages up, so they are never resent (at-most-once); see "
                f"activation.sync_messages WHERE status = 'unknown' AND run_id = "
                f"'{result.run_id}'",
                highlight=False,
            )
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


def require_built_audiences(
    db_path: Path, models: list[str], on_wait: Callable[[str], None] | None = None
) -> None:
    """InputError naming the audience models missing from the warehouse at `db_path` (before any
    build: no warehouse, or no table in schema `audiences`), so no sync run starts."""
    built: set[str] = set()
    if db_path.is_file():
        with connect(db_path, read_only=True, on_wait=on_wait) as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'audiences'"
            ).fetchall()
        built = {name for (name,) in rows}
    missing = [m for m in models if m not in built]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        shown = ", ".join(missing[:3]) + more
        raise InputError(
            f"audience {shown} not built in warehouse {db_path}: run `retention build` "
            "(or `retention demo`) first, then sync"
        )


@contextmanager
def _destinations_env(db_path: Path, with_emulators: bool) -> Iterator[None]:
    """With `--emulators`: the warehouse's emulators run meanwhile and every destination's
    `<DEST>_BASE_URL`/`<DEST>_API_KEY` point at them; else the environment as it is."""
    if not with_emulators:
        yield
        return
    from orchestration.demo import exported, warehouse_emulators

    with warehouse_emulators(db_path) as emulators, exported(emulators.env):
        make_console(stderr=True).print(
            f"provider emulators on {emulators.url} (accounts kept with {db_path})",
            highlight=False,
        )
        yield


@contextmanager
def _waiting_said(db_path: Path) -> Iterator[None]:
    """Hold the warehouse write lock for the syncs; while another process holds it, print what
    this run waits for, and once it may go on, how long it waited (on stderr)."""
    err = make_console(stderr=True)
    waited: list[float] = []

    def say(message: str) -> None:
        waited.append(time.monotonic())
        err.print(f"[yellow]{message}; this sync starts when it finishes[/yellow]", highlight=False)

    with write_lock(db_path, on_wait=say):
        if waited:
            err.print(
                f"[yellow]waited {time.monotonic() - waited[0]:.1f}s for warehouse {db_path}; "
                "syncing now (against the state the other run left)[/yellow]",
                highlight=False,
            )
        yield


def _held_back(db_path: Path, run_ids: list[str]) -> dict[str, int]:
    """run id -> messages that run held back (delivery unknown, never resent)."""
    if not run_ids:
        return {}
    with connect(db_path, read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'activation' AND table_name = 'sync_messages'"
        ).fetchone()[0]
        if not found:
            return {}
        rows = con.execute(
            "SELECT run_id, count(*) FROM activation.sync_messages "
            "WHERE status = 'unknown' AND list_contains($ids, run_id) GROUP BY run_id",
            {"ids": run_ids},
        ).fetchall()
    return dict(rows)


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
    """Run every provider emulator on 127.0.0.1 until Ctrl-C and print their env vars; the
    emulated accounts are the warehouse's (kept next to it, saved on exit)."""
    from orchestration.demo import warehouse_emulators
    from retention.core.settings import prepare_environment

    with warehouse_emulators(prepare_environment(), port=port, fault_rate=fault_rate) as emus:
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
