"""Build the sample store with dbt on DuckDB and on local Spark, with the same raw and ML inputs."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dbt.cli.main import dbtRunner

from ml.churn_pipeline import build_churn_scores
from ml.clv_pipeline import build_clv_predictions
from retention.core.warehouse import copy_table
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse
from retention.core.warehouse.spark_warehouse import SparkWarehouse
from retention.ingest import ingest_path
from retention.sample_store import generate_store

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = ROOT / "dbt_project"
# everything the compared models need; no data tests (they run in the DuckDB suites)
SELECTION = (
    "+customer_rfm",
    "+customer_ltv",
    "+cohort_retention",
    "+path:models/audiences",
    "+int_churn_features_by_cutoff",
    "+int_churn_labels_by_cutoff",
)
ML_TABLES = ("churn_scores", "clv_predictions", "churn_model_runs", "clv_model_runs")


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, restoring the previous values after."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dbt(target: str, work: Path, *args: str, project_dir: Path = DBT_PROJECT_DIR) -> None:
    """`dbt <args> --target <target>` in this process; AssertionError listing failed nodes."""
    result = dbtRunner().invoke(
        [
            *args,
            "--target",
            target,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(work / f"target_{target}"),
            "--log-path",
            str(work / f"logs_{target}"),
            "--quiet",
        ]  # fmt: skip
    )
    if not result.success:
        failures = [
            f"{node.node.unique_id}: {node.status} {node.message}"
            for node in (result.result or [])
            if str(node.status) not in ("success", "pass", "skipped")
        ]
        raise AssertionError(
            f"dbt {' '.join(args)} --target {target} failed: {result.exception or ''}\n"
            + "\n".join(failures)
        )


def build_models(target: str, work: Path, selection: Sequence[str], project_dir: Path) -> None:
    """Seeds and models of `selection` (no tests) on `target`."""
    run_dbt(
        target, work, "build", "--resource-type", "seed", "--resource-type", "model",
        "--select", *selection, project_dir=project_dir,
    )  # fmt: skip


def build_duckdb(work: Path, customers: int, seed: int, project_dir: Path) -> Path:
    """Sample store -> ingest -> dbt -> churn + CLV scores -> audiences, on a DuckDB file."""
    db_path = work / "retention.duckdb"
    generate_store(work / "store", customers=customers, seed=seed)
    ingest_path(work / "store", "canonical", db_path)
    with environment(RETENTION_DUCKDB_PATH=str(db_path)):
        run_dbt(
            "duckdb", work, "build", "--resource-type", "seed", "--resource-type", "model",
            "--exclude", "path:models/audiences", project_dir=project_dir,
        )  # fmt: skip
        with DuckDBWarehouse.open(db_path) as warehouse:
            build_clv_predictions(warehouse.con)
            build_churn_scores(warehouse.con, artifacts_dir=work / "artifacts")
        build_models("duckdb", work, SELECTION, project_dir)
    return db_path


def build_spark(duckdb_path: Path, spark: SparkWarehouse, work: Path, project_dir: Path) -> None:
    """Copy DuckDB's raw and ML tables into Spark, then build the same models there."""
    with DuckDBWarehouse.open(duckdb_path) as duck:
        raw_tables = [
            name
            for (name,) in duck.con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        for name in raw_tables:
            copy_table(duck, spark, "raw", name)
        for name in ML_TABLES:
            copy_table(duck, spark, "ml", name)
    build_models("spark", work, SELECTION, project_dir)
