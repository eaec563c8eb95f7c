"""Honest model choice: the churn model must beat the best baseline with a CI above 0.

The gradient-boosted model is compared out of time with every baseline on the same validation
customers; the margin over the best baseline gets a paired bootstrap interval. When that
interval includes 0 (or lies below it) the simpler probability model with the higher AUC
(logistic regression on RFM or BG/NBD) scores the customers instead, and the choice is
recorded in the run metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.bootstrap import bootstrap_aucs, interval
from ml.config import ChurnConfig

MODEL = "model"
GRADIENT_BOOSTING = "gradient_boosting"
LOGISTIC_RFM = "logistic_rfm"
BGNBD = "bgnbd_p_no_purchase"
#: Baselines that give probabilities, so they can replace the model (simplest first).
SIMPLER_MODELS = (LOGISTIC_RFM, BGNBD)


def scorer_of(chosen: str) -> str:
    """The validation scorer name of a chosen model."""
    return MODEL if chosen == GRADIENT_BOOSTING else chosen


def choose_model(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    aucs: dict[str, float],
    config: ChurnConfig,
) -> dict[str, Any]:
    """AUC intervals, the margin over the best baseline with its interval, and the choice."""
    draws = bootstrap_aucs(
        y, scores, config.bootstrap_samples, config.random_state, config.bootstrap_max_rows
    )
    level = config.confidence
    intervals = {
        name: dict(zip(("lower", "upper"), interval(d, level), strict=True))
        for name, d in draws.items()
    }
    baselines = [name for name in scores if name != MODEL]
    best = max(baselines, key=lambda name: aucs[name])
    margin = aucs[MODEL] - aucs[best]
    lower, upper = interval(draws[MODEL] - draws[best], level)
    text = f"margin over {best} {margin:+.4f} ({level:.0%} CI {lower:+.4f} to {upper:+.4f})"
    if lower > 0:
        chosen, reason = GRADIENT_BOOSTING, f"{text} excludes 0: the model is better"
    else:
        chosen = max(SIMPLER_MODELS, key=lambda name: aucs[name])
        reason = f"{text} includes 0 or is below it: the simpler {chosen} scores customers"
    return {
        "auc_intervals": intervals,
        "best_baseline": best,
        "margin_over_best_baseline": {"margin": margin, "lower": lower, "upper": upper},
        "confidence": level,
        "bootstrap_samples": config.bootstrap_samples,
        "bootstrap_rows": int(min(np.asarray(y).size, config.bootstrap_max_rows)),
        "chosen_model": chosen,
        "choice_reason": reason,
    }
