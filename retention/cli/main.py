"""The `retention` command line. Each area registers its commands from its own module."""

from __future__ import annotations

import sys

import typer

from retention.core.errors import UserError

app = typer.Typer(
    name="retention",
    help="Retention warehouse: ingest store data, build models, score customers, sync audiences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Retention warehouse command line."""


def _register() -> None:
    """Add every area's commands to `app` (once)."""
    if app.registered_commands:
        return
    from retention.cli import audiences as cli_audiences
    from retention.cli import data as cli_data
    from retention.cli import demo as cli_demo
    from retention.cli import dev as cli_dev
    from retention.cli import pipeline as cli_pipeline
    from retention.cli import sync as activation_cli
    from retention.cli import trigger as cli_trigger

    for module in (
        cli_data,
        cli_pipeline,
        activation_cli,
        cli_demo,
        cli_dev,
        cli_audiences,
        cli_trigger,
    ):
        module.register(app)


def main() -> None:
    """Console-script entry point: run the CLI, turning user errors into one clear line."""
    debug = "--debug" in sys.argv
    try:
        _register()  # imports read the project's contracts: a broken yml is a user error too
        app()
    except UserError as exc:
        if debug:
            raise
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(exc.exit_code) from None
