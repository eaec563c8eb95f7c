"""The dbt project, with a manifest that is prepared at load time when missing or stale."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.errors import DagsterDbtCliRuntimeError

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
    """The dbt project, parsed (`dbt parse`) first if its manifest is missing or out of date.

    `dagster dev` re-parses on every load (`prepare_if_dev`); other entry points (CLI, tests,
    daemon) parse only when a model, macro or config changed since the last manifest.
    """
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    try:
        project.prepare_if_dev()
        if manifest_is_stale(project):
            project.preparer.prepare(project)
    except DagsterDbtCliRuntimeError as exc:
        detail = str(exc).split("Errors parsed from dbt logs:", 1)[-1].strip()
        raise DbtProjectError(
            f"dbt project {project_dir} does not parse (`dbt parse`): {detail}"
        ) from None
    return project
