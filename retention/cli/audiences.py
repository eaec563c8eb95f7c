"""`retention new-audience` and `retention docs`: add an audience, keep its doc generated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retention.core import settings
from retention.core.errors import InputError


def new_audience(
    name: Annotated[
        str, typer.Argument(help="Audience name, e.g. lapsed_vips (-> aud_lapsed_vips).")
    ],
    channel: Annotated[str, typer.Option(help="email | sms | whatsapp.")] = "email",
    destination: Annotated[str, typer.Option(help="Where the sync sends it.")] = "klaviyo",
    owner_email: Annotated[str, typer.Option(help="Owner of the sync's exposure.")] = (
        "marketing@example.com"
    ),
) -> None:
    """Scaffold an audience model: SQL, yml with enforced contract, a sync and its exposure.

    The files build and sync as written (`retention build`, `retention sync NAME --dry-run`);
    then edit the `members` rule in the SQL, the description and the sync's target.
    """
    from orchestration.audience_scaffold import scaffold_audience

    for path in scaffold_audience(
        settings.DBT_PROJECT_DIR,
        name,
        channel=channel,
        destination=destination,
        owner_email=owner_email,
    ):
        typer.echo(f"wrote {path}")
    typer.echo("next: edit the SQL rule and description, then `retention build` and `make docs`")


def docs(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default docs/audiences.md)."),
    ] = None,
    sizes: Annotated[
        bool,
        typer.Option(
            "--sizes",
            help="Add each audience's current size from the warehouse (RETENTION_DUCKDB_PATH).",
        ),
    ] = False,
) -> None:
    """Generate docs/audiences.md from the audience ymls (and docs/audiences.template.md)."""
    from orchestration.audience_docs import OUTPUT, audience_sizes, read_models, render

    counts = None
    if sizes:
        db = settings.duckdb_path()
        if not db.exists():
            raise InputError(f"--sizes: warehouse {db} does not exist; run `retention build` first")
        counts = audience_sizes(db, [m.name for m in read_models(settings.DBT_PROJECT_DIR)])
    target = output or OUTPUT
    target.write_text(render(settings.DBT_PROJECT_DIR, counts))
    typer.echo(f"wrote {target}")


def register(app: typer.Typer) -> None:
    """Add `new-audience` and `docs` to the `retention` app."""
    app.command("new-audience")(new_audience)
    app.command("docs")(docs)
