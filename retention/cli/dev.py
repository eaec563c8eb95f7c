"""`retention dev`: the Dagster UI with the local provider emulators, so sync assets can run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from retention.core import settings

CODE_LOCATION = "orchestration.definitions"


def dagster_dev_command(host: str, port: int) -> list[str]:
    """`dagster dev` from this venv on `host:port` with the project's code location."""
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-h", host, "-p", str(port), "-m", CODE_LOCATION]


def dev(
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface of the Dagster UI.")] = "127.0.0.1",
    emulators: Annotated[
        bool,
        typer.Option(
            "--emulators/--no-emulators",
            help="Start the local provider emulators and point every destination at them "
            "(--no-emulators: use <DEST>_API_KEY / <DEST>_BASE_URL from your environment).",
        ),
    ] = True,
) -> None:
    """Open the Dagster UI on the demo's instance (.dagster_home), syncs pointed at emulators.

    Every job in the UI runs as it would in production; with the emulators (the default) sync
    assets deliver to local copies of Klaviyo, Mailchimp, ... on 127.0.0.1. Ctrl-C stops both.
    """
    from orchestration.defs.dbt.project import prepare_dbt_project
    from orchestration.demo import warehouse_emulators
    from orchestration.pipeline import prepare_dagster_home

    home = prepare_dagster_home()
    db_path = settings.prepare_environment()
    prepare_dbt_project()
    command = dagster_dev_command(host, port)
    if not emulators:
        _serve(command, dict(os.environ), host, port, home)
        return
    with warehouse_emulators(db_path) as running:
        typer.echo(
            f"provider emulators on {running.url} (accounts kept with {db_path}); "
            "destinations point at them"
        )
        _serve(command, {**os.environ, **running.env}, host, port, home)


def _serve(command: list[str], env: dict[str, str], host: str, port: int, home: Path) -> None:
    typer.echo(f"Dagster UI on http://{host}:{port} (instance {home}); Ctrl-C to stop")
    process = subprocess.Popen(command, env=env)
    try:
        process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def register(app: typer.Typer) -> None:
    """Add `retention dev` to the `retention` app."""
    app.command("dev")(dev)
