"""The churn asset never stops the graph: a crash in training still materializes scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.ml.assets import CHURN_MODEL, CHURN_TRAINED_CHECK, CLV_FIT_CHECK, churn, clv
from orchestration.defs.ml.resources import ModelMinimums
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
            "model_minimums": ModelMinimums(),
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


@pytest.mark.parametrize(("min_buyers", "fitted"), [(500, True), (1_000_000, False)])
def test_the_model_minimums_resource_decides_whether_clv_is_fitted(
    simulated_db: Path, tmp_path: Path, min_buyers: int, fitted: bool
) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(simulated_db, db)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [clv],
            resources={
                "warehouse": WarehouseResource(duckdb_path=str(db)),
                "build_options": BuildOptions(),
                "model_minimums": ModelMinimums(min_buyers=min_buyers),
            },
            instance=instance,
        )
    assert result.success
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CLV_FIT_CHECK
    (model,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["ml", "clv_model_runs"])
    ]
    status = model.metadata["status"].value
    if fitted:
        assert status == "scored" and check.passed, check.description
    else:
        assert status == "not_fitted" and not check.passed
        assert f"need {min_buyers}" in (check.description or ""), check.description
