"""`retention dev`: the Dagster UI with the local provider emulators, so sync assets can run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Annotated

import typer
import yaml

from retention.core import settings

CODE_LOCATION = "orchestration.definitions"


def code_location_name() -> str:
    """The code location's name: `[tool.dg.project] code_location_name` in pyproject.toml, so
    `retention dev`, `make dev` and `dg dev` show the same location."""
    with (settings.PROJECT_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["dg"]["project"]["code_location_name"]


def write_workspace(home: Path) -> Path:
    """`home/workspace.yaml`: the project's code location under `code_location_name()`."""
    location = {
        "module_name": CODE_LOCATION,
        "location_name": code_location_name(),
        "working_directory": str(settings.PROJECT_ROOT),
    }
    path = home / "workspace.yaml"
    path.write_text(yaml.safe_dump({"load_from": [{"python_module": location}]}))
    return path


def dagster_dev_command(host: str, port: int, workspace: Path) -> list[str]:
    """`dagster dev` from this venv on `host:port` loading the code location of `workspace`."""
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-h", host, "-p", str(port), "-w", str(workspace)]


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
    command = dagster_dev_command(host, port, write_workspace(home))
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
