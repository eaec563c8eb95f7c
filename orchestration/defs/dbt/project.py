"""The dbt project and its manifest: parsed by entry points, only read on import."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from filelock import FileLock

from retention.core.errors import UserError
from retention.core.settings import DBT_PROJECT_DIR


class DbtProjectError(UserError):
    """The dbt project does not parse, so the asset graph cannot be built."""


DBT_SOURCE_DIRS = ("models", "macros", "seeds", "tests", "snapshots")
DBT_SOURCE_FILES = ("dbt_project.yml", "profiles.yml")


def manifest_is_stale(project: DbtProject) -> bool:
    """True when manifest.json is missing or older than any file dbt parses."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    project_dir = Path(project.project_dir)
    sources = [project_dir / name for name in DBT_SOURCE_FILES]
    for folder in DBT_SOURCE_DIRS:
        sources.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def load_dbt_project(project_dir: Path = DBT_PROJECT_DIR) -> DbtProject:
    """The dbt project and its manifest, without parsing anything on import.

    Entry points parse first with `prepare_dbt_project()` (the CLI, `retention dev`, the test
    suite); only `dagster dev` re-parses on load (DAGSTER_IS_DEV_CLI, as `prepare_if_dev`), so
    an edited model shows up on reload. A missing or stale manifest elsewhere (e.g. a daemon
    started after a model changed) is an error that says how to refresh it.
    """
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    _parse(project, dev_only=True)
    if manifest_is_stale(project):
        raise DbtProjectError(
            f"dbt manifest {project.manifest_path} is missing or older than the dbt project's "
            "files; run `retention parse` (every `retention` command that builds does it first)"
        )
    return project


def prepare_dbt_project(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run `dbt parse` when the manifest is missing or stale, one process at a time.

    Returns the manifest path. Concurrent callers (test workers, a CLI next to `dagster dev`)
    wait on a lock file next to the manifest and then find it fresh.
    """
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(project.manifest_path.with_name(".parse.lock")):
        if manifest_is_stale(project):
            _parse(project, dev_only=False)
    return project.manifest_path


def _parse(project: DbtProject, *, dev_only: bool) -> None:
    """`dbt parse` with this venv's dbt (under `dagster dev` only when `dev_only`).

    Dagster's own preparer would look `dbt` up on PATH, which a `.venv/bin/retention` call
    does not have; errors become one DbtProjectError.
    """
    if dev_only and not os.environ.get("DAGSTER_IS_DEV_CLI"):
        return
    from orchestration.defs.dbt.resources import dbt_resource

    try:
        dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    except DagsterDbtCliRuntimeError as exc:
        detail = str(exc).split("Errors parsed from dbt logs:", 1)[-1].strip()
        raise DbtProjectError(
            f"dbt project {project.project_dir} does not parse (`dbt parse`): {detail}"
        ) from None
