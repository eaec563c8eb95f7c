"""The churn classifier: gradient boosting with calibrated probabilities."""

from __future__ import annotations

from datetime import date

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.config import ChurnConfig
from ml.errors import SingleClassLabelError, TooFewCustomersError

MIN_TRAINING_CUSTOMERS = 50


def check_labels(y: np.ndarray, cutoff: date, horizon_days: int) -> None:
    """Refuse label sets a classifier cannot learn from (too few rows, one class only)."""
    if y.size < MIN_TRAINING_CUSTOMERS:
        raise TooFewCustomersError(
            f"only {y.size} customers had purchases before the training cutoff {cutoff}; the "
            f"churn model needs at least {MIN_TRAINING_CUSTOMERS}: load more history or move "
            "--as-of later."
        )
    churned = int(y.sum())
    if churned in (0, y.size):
        state = "churned" if churned else "purchased again"
        raise SingleClassLabelError(
            f"all {y.size} customers at cutoff {cutoff} {state} within {horizon_days} days, so "
            "churn cannot be learnt: check the orders' dates/statuses or change horizon_days."
        )


def fit_churn_model(
    features: np.ndarray, churned: np.ndarray, config: ChurnConfig
) -> CalibratedClassifierCV:
    """Fit HistGradientBoosting and calibrate its probabilities on held-out folds."""
    booster = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=config.max_iter,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=15,
        random_state=config.random_state,
    )
    model = CalibratedClassifierCV(booster, method=config.calibration, cv=3)
    model.fit(features, churned.astype(int))
    return model


def predict_churn(model: CalibratedClassifierCV, features: np.ndarray) -> np.ndarray:
    """Calibrated probability of churning within the horizon."""
    return model.predict_proba(features)[:, 1]


def risk_band(prob: np.ndarray, medium: float, high: float) -> np.ndarray:
    """low / medium / high by the configured thresholds."""
    return np.where(prob >= high, "high", np.where(prob >= medium, "medium", "low"))
