"""Bootstrap AUC and the honest model choice."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from ml.bootstrap import _ranked, bootstrap_aucs, weighted_auc
from ml.config import ChurnConfig
from ml.model_choice import choose_model


def test_weighted_auc_equals_sklearn_with_ties_and_repeats():
    rng = np.random.default_rng(1)
    y = rng.random(500) < 0.4
    score = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    ranked = _ranked(y, score)
    assert weighted_auc(ranked, np.ones(500)) == np.float64(roc_auc_score(y, score))
    weights = rng.integers(0, 3, 500).astype(float)
    repeated = np.repeat(np.arange(500), weights.astype(int))
    expected = roc_auc_score(y[repeated], score[repeated])
    assert abs(weighted_auc(ranked, weights) - expected) < 1e-12


def _scores(model_edge: float, n: int = 3000) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    y = rng.random(n) < 0.5
    signal = y + rng.normal(0, 1.0, n)
    return y, {
        "model": signal + model_edge * y + rng.normal(0, 0.1, n),
        "recency": signal + rng.normal(0, 0.1, n),
        "logistic_rfm": signal + rng.normal(0, 0.1, n),
        "bgnbd_p_no_purchase": signal + rng.normal(0, 0.5, n),
    }


def _choice(model_edge: float) -> dict:
    y, scores = _scores(model_edge)
    aucs = {name: roc_auc_score(y, s) for name, s in scores.items()}
    return choose_model(y, scores, aucs, ChurnConfig(bootstrap_samples=200))


def test_a_tie_with_the_best_baseline_chooses_the_simpler_model():
    choice = _choice(0.0)
    margin = choice["margin_over_best_baseline"]
    assert margin["lower"] <= 0 <= margin["upper"]
    assert choice["chosen_model"] == "logistic_rfm"
    assert "includes 0" in choice["choice_reason"]


def test_a_clear_win_keeps_the_model():
    choice = _choice(0.6)
    assert choice["margin_over_best_baseline"]["lower"] > 0
    assert choice["chosen_model"] == "gradient_boosting"
    intervals = choice["auc_intervals"]["model"]
    assert intervals["lower"] < intervals["upper"]


def test_bootstrap_is_paired_and_reproducible():
    y, scores = _scores(0.0, n=800)
    first = bootstrap_aucs(y, scores, 50, random_state=0)
    again = bootstrap_aucs(y, scores, 50, random_state=0)
    np.testing.assert_array_equal(first["model"], again["model"])
    # identical scorers on the same resamples have identical draws (pairing)
    twin = bootstrap_aucs(y, {"a": scores["model"], "b": scores["model"].copy()}, 30, 1)
    np.testing.assert_array_equal(twin["a"], twin["b"])


def test_large_validation_sets_resample_a_bounded_subset():
    y, scores = _scores(0.0, n=5000)
    full = bootstrap_aucs(y, scores, 40, random_state=2)
    capped = bootstrap_aucs(y, scores, 40, random_state=2, max_rows=1000)
    # a fifth of the rows: the spread of the draws grows by about sqrt(5)
    ratio = np.std(capped["model"]) / np.std(full["model"])
    assert 1.5 < ratio < 3.5, ratio
