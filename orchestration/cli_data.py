"""CLI commands of this area (filled in by the area's work)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `retention` app."""
