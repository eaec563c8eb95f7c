"""Importing the code location has no side effects: no env writes, no dbt parse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from retention.core.settings import DBT_PROJECT_DIR

IMPORT_AND_COMPARE = """
import json, os, sys
before = dict(os.environ)
try:
    import orchestration.definitions
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(0)
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
print(json.dumps({"changed": changed}))
"""


def _import_in(project: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RETENTION_", "DBT_")) and k != "DAGSTER_IS_DEV_CLI"
    }
    env["RETENTION_DBT_PROJECT_DIR"] = str(project)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_COMPARE],
        capture_output=True,
        text=True,
        env=env,
        cwd=DBT_PROJECT_DIR.parent,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def _copy_project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    (copy / "target").mkdir()
    shutil.copy2(DBT_PROJECT_DIR / "target" / "manifest.json", copy / "target" / "manifest.json")
    return copy


def test_import_writes_no_environment_and_does_not_parse(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    manifest = project / "target" / "manifest.json"
    os.utime(manifest)  # newer than every copied file: fresh
    stamp = manifest.stat().st_mtime_ns
    outcome = _import_in(project)
    assert outcome == {"changed": []}
    assert manifest.stat().st_mtime_ns == stamp, "the import re-parsed the dbt project"


def test_a_stale_manifest_is_an_error_that_says_how_to_refresh_it(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    manifest = project / "target" / "manifest.json"
    model = next((project / "models" / "marts").glob("*.sql"))
    os.utime(model, ns=(manifest.stat().st_mtime_ns + 10**9,) * 2)
    outcome = _import_in(project)
    assert "DbtProjectError" in outcome["error"] and "retention parse" in outcome["error"]


def test_retention_parse_refreshes_a_stale_manifest(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    # with dbt's saved parse, as in a working checkout: only the edited model is parsed again
    shutil.copy2(
        DBT_PROJECT_DIR / "target" / "partial_parse.msgpack",
        project / "target" / "partial_parse.msgpack",
    )
    manifest = project / "target" / "manifest.json"
    model = next((project / "models" / "marts").glob("*.sql"))
    os.utime(model, ns=(manifest.stat().st_mtime_ns + 10**9,) * 2)
    env = {**os.environ, "RETENTION_DBT_PROJECT_DIR": str(project)}
    retention = Path(sys.executable).parent / "retention"
    done = subprocess.run(
        [str(retention), "parse"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert manifest.stat().st_mtime_ns > model.stat().st_mtime_ns
    assert _import_in(project) == {"changed": []}
