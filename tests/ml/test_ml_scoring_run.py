"""The report and the demo summary describe the model run that produced the scores in the
warehouse, not the newest run: a build that reuses a model trained earlier records no new run,
so after a build at another date (`--as-of`) the newest run is that build's. The churn side is
checked in test_ml_churn_pipeline (after its real training and reuse)."""

from __future__ import annotations

import pytest
from model_runs import record_later_run

from ml.clv_pipeline import build_clv_predictions
from retention.report import queries

pytestmark = pytest.mark.xdist_group("ml_sim")


def test_clv_run_is_the_one_that_predicted(sim_con):
    fitted = build_clv_predictions(sim_con)
    record_later_run(sim_con, "clv_model_runs", {"as_of": "2024-06-01"})
    run = queries.clv_scoring_run(sim_con)
    assert run["run_id"] == fitted.run_id
    assert run["parameters"]["as_of"] == str(fitted.as_of) == "2025-01-01"
