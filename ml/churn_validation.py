"""Out-of-time comparison of the churn model with its baselines, and the chosen model's
final fit and predictions (see ml/model_choice.py for the choice rule)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import roc_curve

from ml.baselines import bgnbd_no_purchase, fit_logistic_rfm, predict_logistic_rfm
from ml.churn_model import (
    band_cutoffs,
    band_table,
    fit_churn_model,
    predict_churn,
    risk_band,
)
from ml.config import ChurnConfig
from ml.evaluation import calibration_table, classification_metrics, expected_calibration_error
from ml.feature_selection import FeatureSelection
from ml.features import FeatureFrame
from ml.model_choice import BGNBD, GRADIENT_BOOSTING, LOGISTIC_RFM, MODEL, choose_model, scorer_of
from ml.timing import StepTimer
from retention.core.warehouse.base import Warehouse


def _roc_points(y: np.ndarray, score: np.ndarray, points: int = 40) -> dict[str, list[float]]:
    fpr, tpr, _ = roc_curve(y, score)
    keep = np.unique(np.linspace(0, fpr.size - 1, min(points, fpr.size)).astype(int))
    return {"fpr": fpr[keep].round(4).tolist(), "tpr": tpr[keep].round(4).tolist()}


def validate(
    warehouse: Warehouse,
    model: Any,
    training: tuple[FeatureFrame, np.ndarray],
    validation: tuple[FeatureFrame, np.ndarray],
    selection: FeatureSelection,
    config: ChurnConfig,
    timer: StepTimer | None = None,
) -> dict[str, Any]:
    """Model vs the baselines on the validation split: AUCs with bootstrap intervals, the
    margin over the best baseline, the model choice and the chosen model's calibration."""
    timer = timer or StepTimer()
    frame, churned = validation
    with timer.step("predict (validation)"):
        prob = predict_churn(model, frame.select(selection.kept).values)
    recency = frame.column("recency_days").astype(float)
    with timer.step("baseline: logistic regression on RFM"):
        logistic = predict_logistic_rfm(fit_logistic_rfm(*training), frame)
    with timer.step("baseline: BG/NBD fit + P(no purchase in horizon)"):
        bgnbd_score, bgnbd_params = bgnbd_no_purchase(
            warehouse, frame.cutoff, frame.customer_id, config.horizon_days
        )
    scores = {
        MODEL: prob,
        f"rule_{config.rule_days}d": (recency >= config.rule_days).astype(float),
        "recency": recency,
        LOGISTIC_RFM: logistic,
        BGNBD: bgnbd_score,
    }
    with timer.step("metrics: AUC, Brier, calibration, ROC"):
        scorers = {name: classification_metrics(churned, s) for name, s in scores.items()}
        roc_curves = {name: _roc_points(churned, s) for name, s in scores.items()}
    with timer.step("bootstrap: AUC intervals + model choice"):
        aucs = {name: values["roc_auc"] for name, values in scorers.items()}
        choice = choose_model(churned, scores, aucs, config)
    chosen_prob = scores[scorer_of(choice["chosen_model"])]
    bands = risk_band(chosen_prob, config.thresholds)
    model_auc = scorers[MODEL]["roc_auc"]
    return {
        "scorers": scorers,
        "auc_margins": {
            name: model_auc - values["roc_auc"] for name, values in scorers.items() if name != MODEL
        },
        **choice,
        "expected_calibration_error": expected_calibration_error(churned, chosen_prob),
        "calibration_table": calibration_table(churned.astype(float), chosen_prob),
        "calibration_window": {
            "fitted_at": str(training[0].cutoff),
            "labels_from": str(frame.cutoff),
            "horizon_days": config.horizon_days,
        },
        "risk_bands": {
            "rule": f"top {config.thresholds.high_share:.0%} of scores high, next "
            f"{config.thresholds.medium_share:.0%} medium, rest low",
            "validation_cutoffs": band_cutoffs(chosen_prob, bands),
            "validation_table": band_table(churned, chosen_prob, bands),
        },
        "roc_curves": roc_curves,
        "validation_customers": int(churned.size),
        "validation_churn_rate": float(churned.mean()),
        "bgnbd_baseline_parameters": bgnbd_params.as_dict(),
        "features": selection.as_dict(),
    }


def final_model(
    chosen: str,
    frame: FeatureFrame,
    churned: np.ndarray,
    selection: FeatureSelection,
    config: ChurnConfig,
) -> Any:
    """The chosen model refitted on the validation cutoff (BG/NBD is refitted when scoring)."""
    if chosen == GRADIENT_BOOSTING:
        return fit_churn_model(frame.select(selection.kept).values, churned, config)
    if chosen == LOGISTIC_RFM:
        return fit_logistic_rfm(frame, churned)
    return None


def predict(
    warehouse: Warehouse, model: Any, card: dict[str, Any], frame: FeatureFrame
) -> np.ndarray:
    """P(churn) of every customer in `frame` from the model the card says was chosen."""
    chosen = card.get("chosen_model", GRADIENT_BOOSTING)
    if chosen == GRADIENT_BOOSTING:
        return predict_churn(model, frame.select(card["kept_features"]).values)
    if chosen == LOGISTIC_RFM:
        return predict_logistic_rfm(model, frame)
    horizon = card["parameters"]["horizon_days"]
    return bgnbd_no_purchase(warehouse, frame.cutoff, frame.customer_id, horizon)[0]
