"""The ML layer on the real pipeline: sample store -> ingest -> dbt build -> churn + CLV."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_command import WAREHOUSE_NAME, dbt

from ml.churn_pipeline import build_churn_scores
from ml.clv_pipeline import build_clv_predictions

# what ml/ reads: the churn cutoff, feature and label models and the marts they stand on
ML_INPUTS = (
    "int_churn_features_by_cutoff",
    "int_churn_labels_by_cutoff",
    "dim_customers",
    "fct_order_items",
)

pytestmark = pytest.mark.xdist_group("ml_sample")


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,500-customer sample store ingested, with the seeds and models the ML reads built once
    per session (their data and unit tests run in tests/warehouse)."""
    from retention.ingest import ingest_path
    from retention.sample_store import generate_store

    base = tmp_path_factory.mktemp("ml_sample")
    generate_store(base / "store", customers=2500, seed=11)
    db_path = base / WAREHOUSE_NAME
    ingest_path(base / "store", "canonical", db_path=db_path)
    selection = [f"+{model}" for model in ML_INPUTS]
    dbt("build", db_path, base, "--resource-type", "seed", "model", "--select", *selection)
    return db_path


def test_churn_model_beats_baselines_on_sample_store(sample_warehouse, tmp_path):
    with duckdb.connect(str(sample_warehouse)) as con:
        result = build_churn_scores(con, artifacts_dir=tmp_path)
        clv = build_clv_predictions(con)
        unexplained = con.execute(
            "select count(*) from ml.churn_scores where churn_probability is null "
            "and score_reason = 'scored'"
        ).fetchall()[0][0]
        clv_unexplained = con.execute(
            "select count(*) from ml.clv_predictions where score_reason is null"
        ).fetchall()[0][0]
    metrics = result.metrics
    margins = metrics["auc_margins"]
    assert margins["rule_120d"] > 0 and margins["recency"] > 0, margins
    # against logistic RFM and BG/NBD the model is kept only with a margin CI above 0
    kept = metrics["margin_over_best_baseline"]["lower"] > 0
    assert (metrics["chosen_model"] == "gradient_boosting") == kept, metrics["choice_reason"]
    assert metrics["expected_calibration_error"] < 0.08
    assert unexplained == 0 and clv_unexplained == 0
    assert clv.rows_scored > 0
