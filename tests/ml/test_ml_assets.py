"""The churn asset never stops the graph: a crash in training still materializes scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.ml.assets import CHURN_MODEL, CHURN_TRAINED_CHECK, churn
from orchestration.defs.warehouse_resource import WarehouseResource

pytestmark = pytest.mark.xdist_group("ml_sim")


def test_churn_crash_writes_not_scored_rows_and_fails_its_check(
    simulated_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(simulated_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table staging.stg_shop__events")  # the feature query now fails
    monkeypatch.setenv("RETENTION_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    result = dg.materialize(
        [churn],
        resources={
            "warehouse": WarehouseResource(duckdb_path=str(db)),
            "build_options": BuildOptions(),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert CHURN_MODEL in materialized and dg.AssetKey(["ml", "churn_scores"]) in materialized
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CHURN_TRAINED_CHECK and not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select count(*), count(churn_probability), min(score_reason), "
            "count(*) filter (where risk_band = 'not_scored') from ml.churn_scores"
        ).fetchone()
    assert rows[0] > 0 and rows[1] == 0 and rows[3] == rows[0]
    assert rows[2].startswith("churn_failed: CatalogException:")
