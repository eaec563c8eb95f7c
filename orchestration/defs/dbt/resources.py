"""Resources the dbt assets use: the dbt CLI and the build's point-in-time options."""

import datetime as dt
import json

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

    def dbt_args(self) -> list[str]:
        """`--target` and `--vars` for dbt: the as-of date when set, and the churn horizon the
        ML config trains on (int_churn_cutoffs spaces the feature cutoffs by it)."""
        dbt_vars: dict[str, object] = {"churn_horizon_days": ChurnConfig().horizon_days}
        if self.as_of_date is not None:
            dbt_vars["as_of_date"] = self.as_of_date
        return ["--target", self.dbt_target, "--vars", json.dumps(dbt_vars)]


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """The dbt CLI on `project` (the target comes from `BuildOptions`)."""
    return DbtCliResource(project_dir=project)
