"""Fixtures for first-contact tests: a small ingested store and a private dbt project copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).parent / "dbt")
CUSTOMERS = 300


@pytest.fixture(scope="session")
def raw_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with a 300-customer sample store ingested into raw (copy before writing)."""
    from retention.ingest import ingest_path
    from retention.sample_store import generate_store

    root = tmp_path_factory.mktemp("ux_store")
    generate_store(root / "files", customers=CUSTOMERS, seed=5)
    ingest_path(root / "files", db_path=root / "store.duckdb")
    return root / "store.duckdb"


@pytest.fixture
def warehouse(raw_store: Path, tmp_path: Path) -> Path:
    """This test's own copy of the raw store."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(raw_store, path)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """This test's own copy of dbt_project (no target/, logs/): edit it freely."""
    target = tmp_path / "dbt_project"
    shutil.copytree(
        ROOT / "dbt_project",
        target,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    return target


def cli_env(project: Path, warehouse: Path, tmp_path: Path) -> dict[str, str]:
    """Environment pointing `retention` at `project`, `warehouse` and a throwaway Dagster home."""
    return {
        "RETENTION_DBT_PROJECT_DIR": str(project),
        "RETENTION_DUCKDB_PATH": str(warehouse),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "RETENTION_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }


def run_dbt(project: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    """`dbt *args` on `project` against `warehouse`, output captured."""
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(warehouse)}
    command = [
        DBT,
        *args,
        "--indirect-selection",
        "buildable",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
