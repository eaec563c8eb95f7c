"""`retention new-audience NAME` scaffolds a model that builds, syncs and is documented as-is."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from cli.cli_run import assert_one_line_error, run_cli

from activation.config import load_syncs
from orchestration.audience_docs import render
from ux.conftest import cli_env, run_dbt


def test_scaffold_refuses_an_existing_audience(project: Path, warehouse: Path, tmp_path) -> None:
    done = run_cli("new-audience", "vip_early_access", env=cli_env(project, warehouse, tmp_path))
    assert_one_line_error(done, 2, "aud_vip_early_access.sql already exists")


@pytest.mark.slow
def test_scaffolded_audience_builds_with_its_contract(
    project: Path, warehouse: Path, tmp_path: Path
) -> None:
    done = run_cli("new-audience", "lapsed_vips", env=cli_env(project, warehouse, tmp_path))
    assert done.returncode == 0, done.stderr
    folder = project / "models" / "audiences"
    assert (folder / "aud_lapsed_vips.sql").is_file() and (folder / "aud_lapsed_vips.yml").is_file()
    sync = next(s for s in load_syncs(project) if s.model == "aud_lapsed_vips")
    assert (sync.name, sync.destination, sync.channel) == (
        "lapsed_vips_klaviyo",
        "klaviyo",
        "email",
    )
    assert "`aud_lapsed_vips`" in render(project)

    built = run_dbt(project, warehouse, "build", "--select", "+aud_lapsed_vips")
    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'audiences' and table_name = 'aud_lapsed_vips'"
            ).fetchall()
        )
        rows = con.execute("select count(*) from audiences.aud_lapsed_vips").fetchone()[0]
    assert types["has_email_consent"] == "BOOLEAN" and types["purchase_count"] == "INTEGER"
    assert rows > 0
