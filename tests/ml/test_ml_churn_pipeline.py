"""Churn build end to end on a simulated store: baselines, calibration, artifacts, reuse."""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import pytest
from model_runs import record_later_run

from ml.churn_pipeline import build_churn_scores
from ml.config import ChurnConfig, DataMinimums
from ml.errors import FeatureSchemaMismatchError, MLError
from ml.outputs import ensure_ml_tables
from retention.report import queries

pytestmark = pytest.mark.xdist_group("ml_sim")


def test_model_beats_baselines_is_calibrated_and_reused(sim_con, tmp_path):
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    assert not result.reused
    margins = result.metrics["auc_margins"]
    assert set(margins) == {"rule_120d", "recency", "logistic_rfm", "bgnbd_p_no_purchase"}
    assert all(margin > 0 for margin in margins.values()), margins
    # the simulated store has engagement signal RFM lacks: the model wins with a CI above 0
    best = result.metrics["margin_over_best_baseline"]
    assert best["lower"] > 0 and result.metrics["chosen_model"] == "gradient_boosting"
    intervals = result.metrics["auc_intervals"]
    for name, values in result.metrics["scorers"].items():
        assert intervals[name]["lower"] < values["roc_auc"] < intervals[name]["upper"]
    assert "Model used for scoring: gradient_boosting" in result.card_path.read_text()
    assert result.metrics["expected_calibration_error"] < 0.05
    assert len(result.metrics["calibration_table"]) == 10
    card = json.loads((result.card_path.parent / "model_card.json").read_text())
    assert card["model_version"] == result.model_version
    assert "recency" in result.card_path.read_text()
    assert (result.card_path.parent / "model.skops").exists()
    assert {"features (as_of)", "fit (training cutoff)", "score + write churn_scores"} <= set(
        result.timings
    )
    assert all(step["wall_s"] > 0 for step in result.timings.values())

    rows = sim_con.execute(
        "select count(*), count(churn_probability), count(*) filter (where "
        "churn_probability is null and score_reason = 'no_purchase_before_as_of' "
        "and risk_band = 'not_scored'), count(distinct model_version) from ml.churn_scores"
    ).fetchall()[0]
    customers = sim_con.execute("select count(*) from marts.dim_customers").fetchall()[0][0]
    assert rows[0] == customers
    assert rows[1] == result.rows_scored
    assert rows[1] + rows[2] == rows[0]
    assert rows[3] == 1
    bands = dict(
        sim_con.execute("select risk_band, count(*) from ml.churn_scores group by 1").fetchall()
    )
    assert {"low", "medium", "high"} <= set(bands)
    scored = rows[1]
    assert bands["high"] == pytest.approx(0.2 * scored, abs=2)  # top 20% of scores
    assert bands["medium"] == pytest.approx(0.3 * scored, abs=2)
    assert "3-fold cross-fitting" in result.card_path.read_text()  # the booster is used
    runs = sim_con.execute("select data_window_end, metrics from ml.churn_model_runs").fetchall()
    assert len(runs) == 1 and runs[0][0] == date(2025, 1, 1)
    assert json.loads(runs[0][1])["auc_margins"] == pytest.approx(margins)

    again = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    assert again.reused and again.model_version == result.model_version
    assert again.metrics == result.metrics
    assert sim_con.execute("select count(*) from ml.churn_model_runs").fetchall()[0][0] == 1
    # a build at another date trains later; the report still describes the model that scored
    record_later_run(sim_con, "churn_model_runs", {"model_version": "other", "as_of": "2024-06-01"})
    shown = queries.churn_scoring_run(sim_con)
    assert (shown["run_id"], shown["metrics"]) == (result.run_id, result.metrics)
    assert shown["parameters"]["as_of"] == "2025-01-01"

    sim_con.execute(
        "insert into marts.fct_orders select order_id || '-new', customer_id, "
        "ordered_at - interval 1 day, order_date, status, is_purchase, gross_total, "
        "discount_amount, net_revenue, has_discount, shipped_at, delivered_at, days_to_deliver, "
        "has_delivery_problem from marts.fct_orders where is_purchase limit 5"
    )
    assert not build_churn_scores(sim_con, artifacts_dir=tmp_path).reused


def test_refuses_model_with_other_feature_schema(sim_con, tmp_path):
    config = ChurnConfig(max_iter=30, max_training_rows=2000)
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path, config=config)
    assert result.metrics["rows_per_fit"] == 2000 < result.metrics["training_customers"]
    assert "Rows per fit: 2000 of" in result.card_path.read_text()
    card_json = result.card_path.parent / "model_card.json"
    card = json.loads(card_json.read_text())
    card["feature_schema"] = card["feature_schema"][:-1] + [["old_feature", "float32"]]
    card_json.write_text(json.dumps(card))
    with pytest.raises(FeatureSchemaMismatchError) as error:
        build_churn_scores(sim_con, artifacts_dir=tmp_path, config=config)
    message = str(error.value)
    assert (
        "missing now: old_feature" in message and "new now: bgnbd_p_no_purchase_horizon" in message
    )
    assert "retrain" in message


def _empty_marts(con: duckdb.DuckDBPyConnection, rows_sql: str = "") -> None:
    con.execute("drop table marts.fct_orders")
    con.execute(
        "create table marts.fct_orders (order_id varchar, customer_id varchar, ordered_at "
        "timestamp, is_purchase boolean, net_revenue double, has_discount boolean)"
    )
    if rows_sql:
        con.execute(f"insert into marts.fct_orders {rows_sql}")


#: Minimums low enough that the label checks, not the store minimums, decide.
LOW_MINIMUMS = ChurnConfig(
    minimums=DataMinimums(min_buyers=2, min_repeat_buyers=0, min_history_days=0)
)


def _not_scored(con: duckdb.DuckDBPyConnection, result, reason: str) -> None:
    """Every customer has a not_scored row with `reason`; the attempt is a run row."""
    assert result.status == "not_trained" and result.rows_scored == 0
    assert re.search(reason, result.metrics["reason"]), result.metrics["reason"]
    rows = con.execute(
        "select count(*), count(churn_probability), count(distinct score_reason), "
        "min(score_reason), count(*) filter (where risk_band = 'not_scored') "
        "from ml.churn_scores"
    ).fetchall()[0]
    assert rows[0] > 0 and rows[1] == 0 and rows[2] == 1 and rows[4] == rows[0]
    assert re.search(reason, rows[3])
    status = con.execute("select metrics ->> 'status' from ml.churn_model_runs").fetchall()
    assert status == [("not_trained",)]


def test_empty_orders_give_not_scored_rows(sim_con, tmp_path):
    _empty_marts(sim_con)
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    _not_scored(sim_con, result, "no purchase .* before 2025-01-01")


def test_store_below_minimums_is_not_scored_with_reasons(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i, 'c' || i, timestamp '2024-10-01' + to_days(cast(i % 60 as integer)), "
        "true, 10, false from range(300) t(i)",
    )
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    _not_scored(
        sim_con,
        result,
        "insufficient_buyers: have 300, need 500; insufficient_repeat_buyers: have 0, need 50; "
        "insufficient_history_days: have 92, need 180",
    )
    assert result.metrics["history"] == {"buyers": 300, "repeat_buyers": 0, "history_days": 92}


def test_no_history_before_training_cutoff(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i, 'c' || i, timestamp '2024-12-01' + to_days(cast(i % 20 as integer)), "
        "true, 10, false from range(300) t(i)",
    )
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path, config=LOW_MINIMUMS)
    _not_scored(sim_con, result, "no purchase before the cutoff 2024-07-05")


def test_all_churned_is_not_scored(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i, 'c' || i, timestamp '2023-01-01' + to_days(cast(i % 200 as integer)), "
        "true, 10, false from range(400) t(i)",
    )
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path, config=LOW_MINIMUMS)
    _not_scored(sim_con, result, "all 400 customers .* churned")


def test_too_few_churners_is_not_scored(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i || '-' || k, 'c' || i, timestamp '2024-06-01' + to_days(cast(k * 60 "
        "as integer)), true, 10, false from range(400) t(i), range(2) u(k) where k = 0 or i >= 3",
    )
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path, config=LOW_MINIMUMS)
    _not_scored(sim_con, result, "only 3 of 400 customers .* churned")


def test_orders_only_store_drops_empty_and_constant_features(sim_con, tmp_path):
    for table in ("stg_shop__events", "stg_shop__feedback", "stg_shop__shipment_events"):
        sim_con.execute(f"delete from staging.{table}")
    config = ChurnConfig(max_iter=30)
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path, config=config)
    assert result.status == "scored" and result.rows_scored > 0
    dropped = result.metrics["features"]["dropped"]
    assert dropped["nps_avg"].startswith("empty") and dropped["events_90d"].startswith("constant")
    assert "recency_days" in result.metrics["features"]["kept"]
    card = json.loads((result.card_path.parent / "model_card.json").read_text())
    assert set(card["kept_features"]).isdisjoint(dropped)
    assert "`nps_avg` (float32): dropped, empty" in result.card_path.read_text()
    run = sim_con.execute("select parameters from ml.churn_model_runs").fetchall()[0][0]
    assert "nps_avg" in json.loads(run)["dropped_features"]
    # the saved model is reused on the same data with the same feature selection
    assert build_churn_scores(sim_con, artifacts_dir=tmp_path, config=config).reused


def test_missing_as_of_table_is_explained(tmp_path):
    con = duckdb.connect()
    ensure_ml_tables(con)
    with pytest.raises(MLError, match="marts.as_of_date is missing"):
        build_churn_scores(con, artifacts_dir=tmp_path)
