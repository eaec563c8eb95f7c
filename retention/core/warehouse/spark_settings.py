"""Local Spark settings, read from the `spark` target of dbt_project/profiles.yml.

dbt-spark (`method: session`) and the Python side (ML, copies) must start Spark with the same
metastore and warehouse folders, so both read `server_side_parameters` from the one profile.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

from retention.core.errors import UserError
from retention.core.settings import DBT_PROJECT_DIR

PROFILE_NAME = "retention_warehouse"
DEFAULT_SPARK_DIR = Path("warehouse/spark")


def spark_dir() -> Path:
    """Spark's work folder (metastore, tables): env `RETENTION_SPARK_DIR`, default warehouse/spark.

    Always absolute, so dbt and Python open the same embedded metastore.
    """
    return Path(os.environ.get("RETENTION_SPARK_DIR", DEFAULT_SPARK_DIR)).resolve()


def prepare_spark_environment(work_dir: Path | None = None) -> Path:
    """Export an absolute `RETENTION_SPARK_DIR` and bind Spark to 127.0.0.1; returns the folder."""
    path = (work_dir or spark_dir()).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["RETENTION_SPARK_DIR"] = str(path)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return path


def target_output(target: str, profiles_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """The raw (unrendered) output `target` of profiles.yml, or UserError naming the targets."""
    path = profiles_dir / "profiles.yml"
    outputs = yaml.safe_load(path.read_text())[PROFILE_NAME]["outputs"]
    if target not in outputs:
        raise UserError(
            f"dbt target {target!r} is not in {path}; targets there: {', '.join(sorted(outputs))}"
        )
    return outputs[target]


def spark_conf(target: str = "spark", profiles_dir: Path = DBT_PROJECT_DIR) -> dict[str, str]:
    """The target's `server_side_parameters`, rendered like dbt does (env_var) for this process."""
    output = target_output(target, profiles_dir)
    if output.get("type") != "spark" or output.get("method") != "session":
        raise UserError(
            f"dbt target {target!r} in {profiles_dir / 'profiles.yml'} is not a local Spark "
            "session (type: spark, method: session); Python can only start Spark in-process"
        )
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = _env_var
    parameters = output.get("server_side_parameters") or {}
    conf = {key: environment.from_string(str(value)).render() for key, value in parameters.items()}
    # dbt-spark forces ANSI off for every session; do the same so both see one dialect
    conf["spark.sql.ansi.enabled"] = "false"
    return conf


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise UserError(f"environment variable {name} is required by dbt_project/profiles.yml")
    return value
