"""Classification metrics, calibration table and expected calibration error."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def classification_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision) and Brier score of `score` against labels `y`.

    Brier is only meaningful for probabilities; scores outside [0, 1] report NaN.
    """
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    is_probability = bool(np.all((score >= 0) & (score <= 1)))
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "brier": float(brier_score_loss(y, score)) if is_probability else float("nan"),
    }


def calibration_table(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Decile table: customers sorted by predicted probability, split into `bins` equal groups."""
    order = np.argsort(prob, kind="stable")
    rows = []
    for index, chunk in enumerate(np.array_split(order, bins), start=1):
        if chunk.size == 0:
            continue
        rows.append(
            {
                "decile": index,
                "customers": int(chunk.size),
                "mean_predicted": float(np.mean(prob[chunk])),
                "observed_rate": float(np.mean(y[chunk])),
            }
        )
    return rows


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Customer-weighted mean |predicted - observed| over the decile table."""
    table = calibration_table(np.asarray(y, dtype=float), np.asarray(prob, dtype=float), bins)
    total = sum(row["customers"] for row in table)
    return float(
        sum(row["customers"] * abs(row["mean_predicted"] - row["observed_rate"]) for row in table)
        / total
    )
