"""Risk bands come from the score distribution; the model card describes the model used."""

from __future__ import annotations

import numpy as np
import pytest

from ml.artifacts import render_card
from ml.churn_model import band_cutoffs, band_table, risk_band
from ml.config import RiskThresholds


def test_bands_follow_the_score_distribution_not_fixed_cutoffs():
    # a high-churn store: most probabilities above 0.7 (fixed 0.4/0.7 cut-offs: 2/3 "high")
    prob = np.random.default_rng(0).beta(6, 2, 5000)
    assert np.mean(prob >= 0.7) > 0.6
    bands = risk_band(prob, RiskThresholds())
    assert np.mean(bands == "high") == pytest.approx(0.2, abs=0.001)
    assert np.mean(bands == "medium") == pytest.approx(0.3, abs=0.001)
    cutoffs = band_cutoffs(prob, bands)
    assert cutoffs["medium"] < cutoffs["high"]
    assert prob[bands == "low"].max() <= cutoffs["medium"]


def test_tied_scores_do_not_swell_a_band():
    prob = np.r_[np.full(600, 0.9), np.linspace(0.1, 0.5, 400)]  # isotonic-like steps
    bands = risk_band(prob, RiskThresholds())
    assert [int(np.sum(bands == b)) for b in ("high", "medium", "low")] == [200, 300, 500]


def test_band_table_reports_predicted_and_observed_per_band():
    prob = np.linspace(0.01, 0.99, 100)
    churned = prob > 0.5
    table = band_table(churned, prob, risk_band(prob, RiskThresholds(high_share=0.1)))
    assert [row["band"] for row in table] == ["low", "medium", "high"]
    assert [row["customers"] for row in table] == [60, 30, 10]
    assert table[-1]["observed_rate"] == 1.0 and table[0]["mean_predicted"] < 0.5


def test_band_shares_must_leave_a_low_band():
    with pytest.raises(ValueError, match="high \\+ medium < 1"):
        RiskThresholds(high_share=0.5, medium_share=0.5)


def _card(chosen: str) -> dict:
    scorer = {"roc_auc": 0.8, "pr_auc": 0.7, "brier": 0.2}
    return {
        "model_version": "v1",
        "trained_at": "2026-01-01T00:00:00",
        "as_of": "1998-01-01",
        "train_cutoff": "1997-07-05",
        "validation_cutoff": "1997-10-03",
        "parameters": {
            "horizon_days": 90,
            "cross_fit_below_rows": 50_000,
            "calibration_fraction": 0.25,
        },  # fmt: skip
        "feature_schema": [["recency_days", "float32"]],
        "metrics": {
            "rows_per_fit": 2357,
            "training_customers": 2357,
            "scorers": {"model": scorer, "logistic_rfm": scorer},
            "auc_margins": {"logistic_rfm": 0.0},
            "chosen_model": chosen,
            "choice_reason": "margin includes 0",
            "expected_calibration_error": 0.0096,
            "calibration_table": [],
            "calibration_window": {
                "fitted_at": "1997-07-05",
                "labels_from": "1997-10-03",
                "horizon_days": 90,
            },  # fmt: skip
            "risk_bands": {
                "rule": "top 20% of scores high, next 30% medium, rest low",
                "validation_cutoffs": {"medium": 0.5, "high": 0.8},
                "validation_table": [
                    {
                        "band": "high",
                        "customers": 471,
                        "share": 0.2,
                        "mean_predicted": 0.85,
                        "observed_rate": 0.86,
                    }
                ],
            },  # fmt: skip
        },
    }


def test_card_of_a_simpler_model_does_not_claim_the_boosters_calibration():
    text = render_card(_card("logistic_rfm"))
    assert text.startswith("# Churn model v1: scores from logistic_rfm")
    assert "cross-fitting" not in text and "calibrated on a held-out" not in text
    assert "probabilities straight from logistic_rfm" in text
    assert "logistic_rfm fitted at 1997-07-05, labels of the 90 days from 1997-10-03" in text
    assert "the validation window, not the scored future" in text
    assert "| high | 471 | 20.0% | 0.850 | 0.860 |" in text


def test_card_of_the_booster_states_its_calibration():
    text = render_card(_card("gradient_boosting"))
    assert "probabilities calibrated by 3-fold cross-fitting" in text
