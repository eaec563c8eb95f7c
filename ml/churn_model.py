"""The churn classifier: gradient boosting with calibrated probabilities."""

from __future__ import annotations

from datetime import date

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from ml.config import ChurnConfig, RiskThresholds
from ml.errors import SingleClassLabelError, TooFewCustomersError

MIN_TRAINING_CUSTOMERS = 50
#: Fewest customers per label (churned / purchased again) to learn and hold out a calibration set.
MIN_PER_LABEL = 10


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
    if min(churned, y.size - churned) < MIN_PER_LABEL:
        raise TooFewCustomersError(
            f"only {min(churned, y.size - churned)} of {y.size} customers at cutoff {cutoff} "
            f"{'churned' if churned < MIN_PER_LABEL else 'purchased again'} within "
            f"{horizon_days} days; the churn model needs at least {MIN_PER_LABEL} of each to "
            "learn and calibrate: load more history or change horizon_days."
        )


def training_rows(churned: np.ndarray, max_rows: int, random_state: int) -> np.ndarray:
    """Sorted row indices to train on: all rows, or a churn-stratified sample of `max_rows`."""
    rows = np.arange(churned.size)
    if churned.size <= max_rows:
        return rows
    sample, _ = train_test_split(
        rows, train_size=max_rows, stratify=churned, random_state=random_state
    )
    return np.sort(sample)


def fit_churn_model(
    features: np.ndarray, churned: np.ndarray, config: ChurnConfig
) -> CalibratedClassifierCV:
    """Fit HistGradientBoosting on (at most `max_training_rows`) rows with calibrated
    probabilities: 3-fold cross-fitting below `cross_fit_below_rows` rows, else calibration on
    a stratified held-out share (`calibration_fraction`) of the rows."""
    y = churned.astype(int)
    rows = training_rows(y, config.max_training_rows, config.random_state)
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
    if rows.size < config.cross_fit_below_rows:
        model = CalibratedClassifierCV(booster, method=config.calibration, cv=3)
        model.fit(features[rows], y[rows])
        return model
    fit_rows, calibration_rows = train_test_split(
        rows,
        test_size=config.calibration_fraction,
        stratify=y[rows],
        random_state=config.random_state,
    )
    booster.fit(features[fit_rows], y[fit_rows])
    model = CalibratedClassifierCV(FrozenEstimator(booster), method=config.calibration)
    model.fit(features[calibration_rows], y[calibration_rows])
    return model


def predict_churn(model: CalibratedClassifierCV, features: np.ndarray) -> np.ndarray:
    """Calibrated probability of churning within the horizon."""
    return model.predict_proba(features)[:, 1]


def risk_band(prob: np.ndarray, thresholds: RiskThresholds) -> np.ndarray:
    """low / medium / high by rank: the top `high_share` of scores high, the next
    `medium_share` medium. Ranks, not score quantiles, so a calibrated model's tied scores
    (isotonic steps) cannot swell a band; ties are broken by row order (customer id)."""
    prob = np.asarray(prob, dtype=float)
    order = np.argsort(-prob, kind="stable")
    high = round(thresholds.high_share * prob.size)
    medium = round((thresholds.high_share + thresholds.medium_share) * prob.size)
    bands = np.full(prob.size, "low", dtype=object)
    bands[order[:high]] = "high"
    bands[order[high:medium]] = "medium"
    return bands.astype(str)


def band_cutoffs(prob: np.ndarray, bands: np.ndarray) -> dict[str, float | None]:
    """The lowest probability in the medium and high bands (None for an empty band)."""
    return {
        band: float(prob[bands == band].min()) if (bands == band).any() else None
        for band in ("medium", "high")
    }


def band_table(churned: np.ndarray, prob: np.ndarray, bands: np.ndarray) -> list[dict]:
    """Per band: customers, share, mean predicted and observed churn (labels `churned`)."""
    rows = []
    for band in ("low", "medium", "high"):
        members = bands == band
        if members.any():
            rows.append(
                {
                    "band": band,
                    "customers": int(members.sum()),
                    "share": float(members.mean()),
                    "mean_predicted": float(prob[members].mean()),
                    "observed_rate": float(np.mean(churned[members])),
                }
            )
    return rows
