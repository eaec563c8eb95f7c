"""Resources the dbt assets use: the dbt CLI and the build's point-in-time options."""

import datetime as dt
import hashlib
import json
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from pydantic import Field, field_validator

from ml.config import ChurnConfig

DEFAULT_TARGET = "duckdb"


class BuildOptions(dg.ConfigurableResource):
    """Options shared by every step of one build (dbt, ML, checks)."""

    as_of_date: str | None = Field(
        default=None,
        description="Point-in-time date YYYY-MM-DD (dbt var `as_of_date`); "
        "empty = the day after the latest order.",
    )

    dbt_target: str = Field(
        default=DEFAULT_TARGET, description="dbt target in dbt_project/profiles.yml."
    )

    @field_validator("as_of_date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            dt.date.fromisoformat(value)
        return value

    def dbt_args(self, duckdb_path: Path) -> list[str]:
        """`--target` and `--vars` for `dbt build`: the warehouse file, the churn horizon the ML
        config trains on (int_churn_cutoffs spaces the feature cutoffs by it) and, when set, the
        as-of date with `--full-refresh`.

        The DuckDB path goes to dbt explicitly (`var('duckdb_path')` in profiles.yml), so dbt and
        the Python assets always open the file the `warehouse` resource names. A set as-of date
        rebuilds the incremental models from scratch: their rows were built as of the latest
        date, and dbt refuses an earlier as_of on them (macros/incremental.sql).
        """
        dbt_vars: dict[str, object] = {
            "duckdb_path": str(duckdb_path),
            "churn_horizon_days": ChurnConfig().horizon_days,
        }
        refresh: list[str] = []
        if self.as_of_date is not None:
            dbt_vars["as_of_date"] = self.as_of_date
            refresh = ["--full-refresh"]
        return ["--target", self.dbt_target, *refresh, "--vars", json.dumps(dbt_vars)]

    def dbt_target_path(self, project_dir: Path, duckdb_path: Path) -> Path:
        """dbt's target folder for builds of one warehouse file (and target), under target/.

        dbt re-parses the whole project (~10 s) unless the `partial_parse.msgpack` in its target
        folder was written with the same `--vars`, target and profile. The profile holds the
        warehouse file, so each warehouse keeps its own folder: the later steps of a run and later
        runs on the same file reuse the parse. The previous run's `run_results.json` is removed,
        so a failed build is never explained by an older run's results.
        """
        path = Path(duckdb_path).resolve()
        digest = hashlib.sha1(f"{self.dbt_target}:{path}".encode()).hexdigest()[:10]
        folder = Path(project_dir) / "target" / "warehouses" / f"{path.stem}-{digest}"
        (folder / "run_results.json").unlink(missing_ok=True)
        return folder


def dbt_executable() -> str:
    """`retention-dbt` next to this interpreter: this venv's dbt, killed when its parent dies.

    The wrapper (`retention.core.leash`) makes the kernel SIGKILL dbt the moment the process
    that started it dies (a kill -9 of `retention build`, of a Dagster step worker), so no
    orphaned dbt writes to the warehouse after its lock was released. Without the wrapper
    (an older install), this venv's `dbt`, else `dbt` on PATH.
    """
    folder = Path(sys.executable).parent
    for name in ("retention-dbt", "dbt"):
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which("dbt") or "dbt"


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """The dbt CLI on `project`: this venv's dbt on a leash (`dbt_executable`), no usage stats
    (target from `BuildOptions`)."""
    return DbtCliResource(
        project_dir=project,
        dbt_executable=dbt_executable(),
        global_config_flags=["--no-send-anonymous-usage-stats"],
    )
