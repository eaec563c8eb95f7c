"""Churn build end to end on a simulated store: baselines, calibration, artifacts, reuse."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from ml.churn_pipeline import build_churn_scores
from ml.config import ChurnConfig
from ml.errors import (
    EmptyDataError,
    FeatureSchemaMismatchError,
    MLError,
    NoDataBeforeCutoffError,
    SingleClassLabelError,
    TooFewCustomersError,
)
from ml.warehouse import ensure_ml_tables

pytestmark = pytest.mark.xdist_group("ml_sim")


def test_model_beats_baselines_is_calibrated_and_reused(sim_con, tmp_path):
    result = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    assert not result.reused
    margins = result.metrics["auc_margins"]
    assert set(margins) == {"rule_120d", "recency", "bgnbd_1_minus_p_alive"}
    assert all(margin > 0 for margin in margins.values()), margins
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
    runs = sim_con.execute("select data_window_end, metrics from ml.churn_model_runs").fetchall()
    assert len(runs) == 1 and runs[0][0] == date(2025, 1, 1)
    assert json.loads(runs[0][1])["auc_margins"] == pytest.approx(margins)

    again = build_churn_scores(sim_con, artifacts_dir=tmp_path)
    assert again.reused and again.model_version == result.model_version
    assert again.metrics == result.metrics
    assert sim_con.execute("select count(*) from ml.churn_model_runs").fetchall()[0][0] == 1

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
    assert "missing now: old_feature" in message and "new now: tenure_days" in message
    assert "retrain" in message


def _empty_marts(con: duckdb.DuckDBPyConnection, rows_sql: str = "") -> None:
    con.execute("drop table marts.fct_orders")
    con.execute(
        "create table marts.fct_orders (order_id varchar, customer_id varchar, ordered_at "
        "timestamp, is_purchase boolean, net_revenue double, has_discount boolean)"
    )
    if rows_sql:
        con.execute(f"insert into marts.fct_orders {rows_sql}")


def test_empty_orders_give_clear_error(sim_con, tmp_path):
    _empty_marts(sim_con)
    with pytest.raises(EmptyDataError, match="no purchase .* before 2025-01-01"):
        build_churn_scores(sim_con, artifacts_dir=tmp_path)


def test_no_history_before_training_cutoff(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i, 'c' || i, timestamp '2024-12-01' + to_days(cast(i % 20 as integer)), "
        "true, 10, false from range(300) t(i)",
    )
    with pytest.raises(NoDataBeforeCutoffError, match="no purchase before the cutoff 2024-07-05"):
        build_churn_scores(sim_con, artifacts_dir=tmp_path)


def test_all_churned_gives_clear_error(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i, 'c' || i, timestamp '2023-01-01' + to_days(cast(i % 200 as integer)), "
        "true, 10, false from range(400) t(i)",
    )
    with pytest.raises(SingleClassLabelError, match="all 400 customers .* churned"):
        build_churn_scores(sim_con, artifacts_dir=tmp_path)


def test_too_few_churners_gives_clear_error(sim_con, tmp_path):
    _empty_marts(
        sim_con,
        "select 'o' || i || '-' || k, 'c' || i, timestamp '2024-06-01' + to_days(cast(k * 60 "
        "as integer)), true, 10, false from range(400) t(i), range(2) u(k) where k = 0 or i >= 3",
    )
    with pytest.raises(TooFewCustomersError, match="only 3 of 400 customers .* churned"):
        build_churn_scores(sim_con, artifacts_dir=tmp_path)


def test_missing_as_of_table_is_explained(tmp_path):
    con = duckdb.connect()
    ensure_ml_tables(con)
    with pytest.raises(MLError, match="marts.as_of_date is missing"):
        build_churn_scores(con, artifacts_dir=tmp_path)
