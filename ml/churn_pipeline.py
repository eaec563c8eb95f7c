"""Train (or reuse), validate out of time, and score the churn model; write ml.churn_*."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml import artifacts
from ml.baselines import with_bgnbd_feature
from ml.churn_model import check_labels, fit_churn_model, risk_band
from ml.churn_validation import final_model, predict, validate
from ml.config import ChurnConfig
from ml.errors import InsufficientDataError, MLError, NoDataBeforeCutoffError
from ml.feature_selection import select_features
from ml.features import FeatureFrame, build_features, build_labels
from ml.minimums import history_stats, unmet_minimums
from ml.outputs import (
    all_customers,
    ensure_ml_tables,
    read_as_of,
    record_run,
    replace_table,
    require_orders,
)
from ml.sql import WarehouseSource, as_warehouse, timestamp_literal
from ml.timing import StepTimer
from retention.core.warehouse.base import Warehouse, read_table

NOT_TRAINED = "not_trained"
FAILED = "failed"


@dataclass(frozen=True)
class ChurnResult:
    """Outcome of one churn build."""

    metrics: dict[str, Any]
    model_version: str
    reused: bool
    rows_scored: int
    card_path: Path | None
    run_id: str | None = None
    as_of: date | None = None
    not_scored: dict[str, int] = field(default_factory=dict)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    status: str = "scored"


def _labelled(
    warehouse: Warehouse, cutoff: date, horizon: int, timer: StepTimer, split: str
) -> tuple:
    with timer.step(f"features ({split} cutoff)"):
        frame = build_features(warehouse, cutoff)
    if frame.customer_id.size == 0:
        raise NoDataBeforeCutoffError(
            f"no purchase before the cutoff {cutoff} (as_of - {horizon} or 2x{horizon} days): "
            "out-of-time validation needs two label windows of history; load older orders, "
            "choose a later --as-of or a shorter horizon_days."
        )
    with timer.step(f"BG/NBD feature ({split} cutoff)"):
        frame = with_bgnbd_feature(warehouse, frame, horizon)
    with timer.step(f"labels ({split} cutoff)"):
        ids, churned = build_labels(warehouse, cutoff, horizon)
    if not np.array_equal(ids, frame.customer_id):
        raise AssertionError(f"feature and label populations differ at {cutoff}")
    check_labels(churned, cutoff, horizon)
    return frame, churned


def data_fingerprint(warehouse: Warehouse, as_of: date) -> list[Any]:
    """Counts, sums and latest dates of every input before `as_of` (detects new data)."""
    c = timestamp_literal(as_of)
    queries = [
        "select count(*), max(ordered_at), sum(net_revenue), "
        f"count(case when is_purchase then 1 end) from marts.fct_orders where ordered_at < {c}",
        f"select count(*), max(occurred_at) from staging.stg_shop__events where occurred_at < {c}",
        "select count(*), max(submitted_at) from staging.stg_shop__feedback "
        f"where submitted_at < {c}",
        "select count(*), max(occurred_at) from staging.stg_shop__shipment_events "
        f"where occurred_at < {c}",
    ]
    return [list(read_table(warehouse, q).to_pylist()[0].values()) for q in queries]


def _train(
    warehouse: Warehouse,
    as_of: date,
    config: ChurnConfig,
    schema: list,
    key: str,
    model_dir: Path,
    timer: StepTimer,
) -> tuple[Any, dict[str, Any], Path]:
    horizon = config.horizon_days
    train_cutoff = as_of - timedelta(days=2 * horizon)
    validation_cutoff = as_of - timedelta(days=horizon)
    train_frame, train_y = _labelled(warehouse, train_cutoff, horizon, timer, "training")
    validation_frame, validation_y = _labelled(
        warehouse, validation_cutoff, horizon, timer, "validation"
    )
    selection = select_features([train_frame, validation_frame], config.min_feature_rows)
    if not selection.kept:
        raise InsufficientDataError(
            "no usable churn feature: "
            + "; ".join(f"{name} {why}" for name, why in selection.dropped.items())
        )
    with timer.step("fit (training cutoff)"):
        check = fit_churn_model(train_frame.select(selection.kept).values, train_y, config)
    metrics = validate(
        warehouse,
        check,
        (train_frame, train_y),
        (validation_frame, validation_y),
        selection,
        config,
        timer,
    )
    metrics["training_customers"] = int(train_y.size)
    metrics["rows_per_fit"] = int(min(train_y.size, config.max_training_rows))
    chosen = metrics["chosen_model"]
    with timer.step("fit (validation cutoff, final model)"):
        final = final_model(chosen, validation_frame, validation_y, selection, config)
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    card = {
        "model_version": artifacts.stable_hash({"schema": schema, "key": key}),
        "training_key": key,
        "trained_at": trained_at,
        "as_of": as_of,
        "train_cutoff": train_cutoff,
        "validation_cutoff": validation_cutoff,
        "data_window_end": as_of,
        "parameters": config.model_dump(),
        "feature_schema": schema,
        "kept_features": list(selection.kept),
        "dropped_features": selection.dropped,
        "chosen_model": chosen,
        "metrics": metrics,
    }
    card_path = artifacts.save_model(final, artifacts.json_safe(card), model_dir)
    return final, artifacts.read_card(model_dir), card_path


def _score_rows(
    warehouse: Warehouse,
    frame: FeatureFrame,
    prob: np.ndarray,
    config: ChurnConfig,
    version: str,
) -> pd.DataFrame:
    scored = pd.DataFrame(
        {
            "customer_id": frame.customer_id,
            "churn_probability": prob,
            "risk_band": risk_band(prob, config.thresholds),
            "score_reason": "scored",
        }
    )
    rows = all_customers(warehouse).merge(scored, on="customer_id", how="left")
    unscored = rows["churn_probability"].isna()
    rows.loc[unscored, "risk_band"] = "not_scored"
    rows.loc[unscored, "score_reason"] = "no_purchase_before_as_of"
    rows["model_version"] = version
    rows["scored_at"] = datetime.now(UTC).replace(tzinfo=None)
    return rows


def churn_failed(source: WarehouseSource, error: Exception) -> ChurnResult:
    """After a crash in training or scoring: every customer not scored, reason `churn_failed`."""
    warehouse = as_warehouse(source)
    try:
        as_of: date | None = read_as_of(warehouse)
    except MLError:
        as_of = None
    message = " ".join(str(error).split())
    reason = f"churn_failed: {type(error).__name__}: {message}"
    return _not_trained(warehouse, as_of, reason, {}, StepTimer(), status=FAILED)


def _not_trained(
    warehouse: Warehouse,
    as_of: date | None,
    reason: str,
    history: dict[str, int],
    timer: StepTimer,
    status: str = NOT_TRAINED,
) -> ChurnResult:
    """Every customer not scored with `reason`; the attempt recorded in churn_model_runs."""
    ensure_ml_tables(warehouse)
    rows = all_customers(warehouse)
    rows["churn_probability"] = np.nan
    rows["risk_band"] = "not_scored"
    rows["score_reason"] = reason
    rows["model_version"] = NOT_TRAINED
    now = datetime.now(UTC).replace(tzinfo=None)
    rows["scored_at"] = now
    replace_table(warehouse, "churn_scores", rows)
    metrics = {"status": status, "reason": reason, "history": history}
    run_id = str(uuid.uuid4())
    record_run(
        warehouse,
        "churn_model_runs",
        run_id=run_id,
        trained_at=now,
        window=(as_of, as_of) if as_of else (None, None),
        parameters={"model_version": NOT_TRAINED, "as_of": str(as_of)},
        metrics=metrics,
    )
    return ChurnResult(
        metrics=metrics,
        model_version=NOT_TRAINED,
        reused=False,
        rows_scored=0,
        card_path=None,
        run_id=run_id,
        as_of=as_of,
        not_scored={reason: len(rows)} if len(rows) else {},
        timings=timer.steps,
        status=status,
    )


def build_churn_scores(
    source: WarehouseSource,
    *,
    as_of: date | None = None,
    artifacts_dir: Path,
    config: ChurnConfig | None = None,
) -> ChurnResult:
    """Train (or reuse) the churn model as of `as_of` and replace `ml.churn_scores`.

    `source` is a Warehouse (DuckDB or Spark) or a DuckDB connection.

    The model is reused when one was trained on exactly the same data window, input data
    fingerprint and config; its feature schema must match today's features (else
    FeatureSchemaMismatchError). A fresh training is recorded in `ml.churn_model_runs`.
    When the store misses a minimum (config.minimums) or its labels cannot be learnt, no model
    is trained: every customer gets a `not_scored` row whose score_reason says why, and the
    attempt is recorded with status `not_trained` (result.status).
    """
    warehouse = as_warehouse(source)
    config = config or ChurnConfig()
    timer = StepTimer()
    history: dict[str, int] = {}
    try:
        as_of = as_of or read_as_of(warehouse)
        require_orders(warehouse, as_of)
        stats = history_stats(warehouse, as_of)
        history = stats.as_dict()
        unmet = unmet_minimums(stats, config.minimums)
        if unmet:
            raise InsufficientDataError("; ".join(unmet))
        return _trained(warehouse, as_of, artifacts_dir, config, timer)
    except InsufficientDataError as error:
        return _not_trained(warehouse, as_of, str(error), history, timer)


def _trained(
    warehouse: Warehouse, as_of: date, artifacts_dir: Path, config: ChurnConfig, timer
) -> ChurnResult:
    ensure_ml_tables(warehouse)
    with timer.step("features (as_of)"):
        frame = with_bgnbd_feature(warehouse, build_features(warehouse, as_of), config.horizon_days)
    with timer.step("data fingerprint"):
        fingerprint = data_fingerprint(warehouse, as_of)
    key = artifacts.stable_hash(
        {"as_of": as_of, "data": fingerprint, "config": config.model_dump()}
    )
    model_dir = Path(artifacts_dir) / "churn" / key
    reused = (model_dir / artifacts.CARD_JSON).exists()
    run_id = None
    if reused:
        model, card = artifacts.load_model(model_dir, frame.schema)
        card_path = model_dir / artifacts.CARD_MD
    else:
        model, card, card_path = _train(
            warehouse, as_of, config, frame.schema, key, model_dir, timer
        )
        run_id = str(uuid.uuid4())
        record_run(
            warehouse,
            "churn_model_runs",
            run_id=run_id,
            trained_at=datetime.fromisoformat(card["trained_at"]),
            window=(date.fromisoformat(card["train_cutoff"]), as_of),
            parameters={
                "model_version": card["model_version"],
                "chosen_model": card["chosen_model"],
                "train_cutoff": card["train_cutoff"],
                "validation_cutoff": card["validation_cutoff"],
                "as_of": str(as_of),
                "config": card["parameters"],
                "features": card["kept_features"],
                "dropped_features": card["dropped_features"],
                "model_dir": str(model_dir),
            },
            metrics=card["metrics"],
        )
    with timer.step("score + write churn_scores"):
        prob = predict(warehouse, model, card, frame)
        rows = _score_rows(warehouse, frame, prob, config, card["model_version"])
        replace_table(warehouse, "churn_scores", rows)
    return ChurnResult(
        metrics=card["metrics"],
        model_version=card["model_version"],
        reused=reused,
        rows_scored=int(frame.customer_id.size),
        card_path=card_path,
        run_id=run_id,
        as_of=as_of,
        not_scored=rows.loc[rows["score_reason"] != "scored", "score_reason"]
        .value_counts()
        .to_dict(),
        timings=timer.steps,
    )
