"""ROC and calibration curves of the churn model and its baselines, as ML stored them.

`ml.churn_model_runs.metrics` holds, per scorer, the out-of-time validation metrics
(`scorers`), ROC points (`roc_curves`) and the model's decile `calibration_table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retention.report.labels import words
from retention.report.model import NoRows

MODEL = "model"
_NAMES = {
    MODEL: "churn model",
    "recency": "recency alone",
    "bgnbd_1_minus_p_alive": "BG/NBD 1 - P(alive)",
    "bgnbd_p_no_purchase": "BG/NBD P(no purchase in horizon)",
    "logistic_rfm": "logistic regression on RFM",
    "gradient_boosting": "churn model",
}
_RULE = re.compile(r"rule_(\d+)d")


def display_name(scorer: str) -> str:
    """Human name of a scorer key, e.g. `rule_120d` -> `120-day rule`."""
    match = _RULE.fullmatch(scorer)
    if match:
        return f"{match.group(1)}-day rule"
    return _NAMES.get(scorer, words(scorer, capital=False))


@dataclass(frozen=True)
class ModelCurves:
    """Display name -> (fpr, tpr, auc) and display name -> (mean predicted, observed rate)."""

    roc: dict[str, tuple[list[float], list[float], float]]
    calibration: dict[str, tuple[list[float], list[float]]]


def auc_by_scorer(metrics: dict) -> dict[str, float]:
    """Validation ROC AUC per scorer, the model first, keyed by display name."""
    scorers = metrics.get("scorers") or {}
    ordered = sorted(scorers, key=lambda name: name != MODEL)
    return {display_name(name): float(scorers[name]["roc_auc"]) for name in ordered}


def from_metrics(metrics: dict) -> ModelCurves:
    """The curves stored with a churn training run; NoRows if the run stored none."""
    stored = metrics.get("roc_curves") or {}
    if not stored:
        raise NoRows("the latest churn training run stored no ROC curves (metrics.roc_curves)")
    aucs = auc_by_scorer(metrics)
    roc = {}
    for name in sorted(stored, key=lambda n: n != MODEL):
        label = display_name(name)
        roc[label] = (stored[name]["fpr"], stored[name]["tpr"], aucs.get(label, float("nan")))
    table = metrics.get("calibration_table") or []
    calibration = {}
    if table:
        calibration[display_name(MODEL)] = (
            [row["mean_predicted"] for row in table],
            [row["observed_rate"] for row in table],
        )
    return ModelCurves(roc=roc, calibration=calibration)
