"""One warehouse per real-format dataset, built through the Dagster graph as of several dates.

Each build's facts (materialized assets, ML status, tiers, audience sizes, dry-run syncs) are
captured right after it, since the next build as of another date replaces the ML tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.pipeline import BUILD_JOB, PipelineResult, run_pipeline


@dataclass
class BuiltAsOf:
    """What one build as of a date produced."""

    result: PipelineResult
    facts: dict[str, Any] = field(default_factory=dict)
    syncs: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private DAGSTER_HOME and artifacts dir for the module's builds."""
    root = tmp_path_factory.mktemp("realdata")
    saved = dict(os.environ)
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    os.environ["RETENTION_ARTIFACTS_DIR"] = str(root / "artifacts")
    yield root
    os.environ.clear()
    os.environ.update(saved)


def _facts(db: Path) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:

        def rows(sql: str) -> dict:
            return dict(con.execute(sql).fetchall())

        audiences = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'audiences' and table_name like 'aud_%'"
            ).fetchall()
        ]
        return {
            "churn_reasons": rows("select score_reason, count(*) from ml.churn_scores group by 1"),
            "churn_bands": rows("select risk_band, count(*) from ml.churn_scores group by 1"),
            "clv_reasons": rows("select score_reason, count(*) from ml.clv_predictions group by 1"),
            "tiers": rows("select clv_tier, count(*) from marts.customer_ltv group by 1"),
            "audience_rows": {
                name: con.execute(f"select count(*) from audiences.{name}").fetchone()[0]
                for name in audiences
            },
            "churn_run": con.execute(
                "select metrics from ml.churn_model_runs order by trained_at desc limit 1"
            ).fetchone()[0],
            "dim_customers": con.execute("select count(*) from marts.dim_customers").fetchone()[0],
        }


def _dry_run_syncs(db: Path) -> dict[str, Any]:
    from activation.config import load_syncs
    from activation.engine import run_sync
    from retention.core.settings import DBT_PROJECT_DIR

    with duckdb.connect(str(db)) as con:
        return {
            sync.name: run_sync(con, sync, dry_run=True) for sync in load_syncs(DBT_PROJECT_DIR)
        }


def build_as_of(db: Path, dates: list[str]) -> dict[str, BuiltAsOf]:
    """Build the ingested warehouse `db` as of each date; facts and dry-run syncs per date."""
    built = {}
    for as_of in dates:
        result = run_pipeline(BUILD_JOB, as_of=as_of, db_path=db)
        built[as_of] = BuiltAsOf(result, _facts(db), _dry_run_syncs(db))
    return built
