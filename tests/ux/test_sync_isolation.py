"""One typo in one sync's yml blocks only that sync: not the build, the others or Dagster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli.cli_run import run_cli

from activation.config import load_syncs
from activation.declarations import load_sync_declarations
from retention.core.settings import DBT_PROJECT_DIR

TYPO_SYNC = "vip_early_access_klaviyo"


@pytest.fixture
def typo_project(project: Path) -> Path:
    """The project copy with `mode: mirorr` in the first sync of aud_vip_early_access.yml."""
    declaration = project / "models" / "audiences" / "aud_vip_early_access.yml"
    text = declaration.read_text()
    assert "mode: mirror" in text
    declaration.write_text(text.replace("mode: mirror", "mode: mirorr", 1))
    return project


def test_only_the_mistyped_sync_is_broken(typo_project: Path) -> None:
    declarations = load_sync_declarations(typo_project)
    (broken,) = declarations.broken
    assert broken.name == TYPO_SYNC
    assert "aud_vip_early_access.yml" in broken.error and "'mode'" in broken.error
    assert "\n" not in broken.error
    everything = {s.name for s in load_syncs(DBT_PROJECT_DIR)}
    assert {s.name for s in declarations.syncs} == everything - {TYPO_SYNC}


def test_syncs_lists_the_error_and_sync_skips_only_that_sync(
    typo_project: Path, tmp_path: Path
) -> None:
    env = {
        "RETENTION_DBT_PROJECT_DIR": str(typo_project),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }
    listed = run_cli("syncs", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows[TYPO_SYNC]["last_status"] == "invalid"
    assert "mirorr" in rows[TYPO_SYNC]["error"] or "'mode'" in rows[TYPO_SYNC]["error"]
    assert rows["vip_early_access_klaviyo_sms"]["destination"] == "klaviyo"
    table = run_cli("syncs", env=env)
    assert f"invalid sync {TYPO_SYNC}: " in table.stdout, table.stdout[-2000:]
    run = run_cli("sync", TYPO_SYNC, env=env)
    assert run.returncode == 1
    assert f"{TYPO_SYNC} not run: " in run.stdout and "'mode'" in run.stdout


LOAD_DEFS = """
import json, dagster as dg
from orchestration.defs.dbt.project import prepare_dbt_project
prepare_dbt_project()  # what every entry point does before loading the definitions
from orchestration.definitions import defs
key = dg.AssetKey(["activation", "{sync}"])
spec = defs.resolve_assets_def(key).specs_by_key[key]
graph = defs.resolve_asset_graph()
syncs = [k for k in graph.get_all_asset_keys()
         if k.path[0] == "activation" and graph.get(k).is_materializable]
defs.resolve_job_def("build")
result = dg.materialize([defs.resolve_assets_def(key)], raise_on_error=False)
(failure,) = result.get_step_failure_events()
print(json.dumps({{"description": spec.description, "syncs": len(syncs),
                  "error": failure.step_failure_data.error.message}}))
"""


@pytest.mark.slow
def test_dagster_loads_and_the_sync_asset_fails_with_the_error(
    typo_project: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "RETENTION_DBT_PROJECT_DIR": str(typo_project),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "DAGSTER_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD_DEFS.format(sync=TYPO_SYNC)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded["description"].startswith("INVALID sync declaration in dbt_project/models/")
    assert "'mode'" in loaded["error"] and "aud_vip_early_access.yml" in loaded["error"]
    assert loaded["syncs"] == len(load_syncs(DBT_PROJECT_DIR))
