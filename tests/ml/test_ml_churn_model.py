"""Training-row sampling and the held-out calibration of the churn classifier."""

from __future__ import annotations

import numpy as np
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from ml.artifacts import TRUSTED_TYPES
from ml.churn_model import fit_churn_model, predict_churn, training_rows
from ml.config import ChurnConfig


def test_training_rows_are_a_stratified_reproducible_sample():
    churned = np.random.default_rng(1).random(50_000) < 0.3
    rows = training_rows(churned, 5_000, random_state=0)
    assert rows.size == 5_000 and np.unique(rows).size == 5_000
    assert np.all(np.diff(rows) > 0)
    assert abs(churned[rows].mean() - churned.mean()) < 0.001
    np.testing.assert_array_equal(rows, training_rows(churned, 5_000, random_state=0))
    assert not np.array_equal(rows, training_rows(churned, 5_000, random_state=1))
    np.testing.assert_array_equal(training_rows(churned[:4_000], 5_000, 0), np.arange(4_000))


def test_large_fits_calibrate_on_held_out_rows_small_ones_cross_fit():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(6_000, 3)).astype(np.float32)
    churned = rng.random(6_000) < 1 / (1 + np.exp(-2 * features[:, 0]))
    config = ChurnConfig(max_iter=30, max_training_rows=4_000, cross_fit_below_rows=4_000)
    model = fit_churn_model(features, churned, config)
    assert isinstance(model, CalibratedClassifierCV)
    assert isinstance(model.estimator, FrozenEstimator)
    assert len(model.calibrated_classifiers_) == 1
    prob = predict_churn(model, features)
    assert abs(prob.mean() - churned.mean()) < 0.03
    saved = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=saved)) <= set(TRUSTED_TYPES)
    np.testing.assert_array_equal(
        predict_churn(sio.loads(saved, trusted=TRUSTED_TYPES), features), prob
    )
    small = fit_churn_model(
        features, churned, config.model_copy(update={"max_training_rows": 3_999})
    )
    assert not isinstance(small.estimator, FrozenEstimator)
    assert len(small.calibrated_classifiers_) == 3
