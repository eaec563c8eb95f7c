"""`retention --help` and every subcommand's help are complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer

from retention.cli import main as cli

RETENTION = str(Path(sys.executable).parent / "retention")
CONTRACT_COMMANDS = {"sample", "ingest", "build", "sync", "syncs", "demo", "report"}


def _commands() -> dict[str, click.Command]:
    """Every leaf command of the app, keyed by its full name (e.g. `emulators start`)."""
    cli._register()
    root = typer.main.get_command(cli.app)
    found: dict[str, click.Command] = {}

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            found[full] = command
            if isinstance(command, click.Group):
                walk(command, full)

    walk(root, "")
    return found


COMMANDS = _commands()


def test_root_help_lists_every_contract_command() -> None:
    done = subprocess.run([RETENTION, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = {m.group(1) for m in re.finditer(r"^[│|\s]*([a-z][a-z-]*)\s{2,}\S", done.stdout, re.M)}
    assert listed >= CONTRACT_COMMANDS, CONTRACT_COMMANDS - listed
    assert "--debug" in done.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_and_its_parameters_have_help(name: str) -> None:
    command = COMMANDS[name]
    assert (command.help or "").strip(), f"`retention {name}` has no help text"
    for param in command.params:
        if param.name == "help":
            continue
        assert (getattr(param, "help", None) or "").strip(), (
            f"`retention {name}`: parameter {param.name} has no help text"
        )


@pytest.mark.parametrize("name", ["demo", "report"])
def test_subcommand_help_runs(name: str) -> None:
    done = subprocess.run([RETENTION, name, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: retention" in done.stdout


HEAVY_PACKAGES = {"dagster", "dagster_dbt", "dbt", "sklearn", "orchestration"}
SHOW_HELP = """
import sys
from retention.cli.main import main
sys.argv = ["retention", *sys.argv[1:], "--help"]
try:
    main()
except SystemExit:
    pass
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("command", [[], ["build"]])
def test_help_imports_no_dagster_dbt_or_ml(command: list[str]) -> None:
    """`--help` loads each command's own module only (it took 5-19 s importing dagster_dbt)."""
    done = subprocess.run(
        [sys.executable, "-c", SHOW_HELP, *command], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: retention" in done.stdout
    loaded = set(done.stdout.splitlines()[-1].split())
    assert not loaded & HEAVY_PACKAGES, loaded & HEAVY_PACKAGES
