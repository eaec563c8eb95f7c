"""Paired bootstrap confidence intervals for ROC AUC and AUC differences.

Every resample draws validation customers with replacement once and scores all scorers on the
same draw, so a margin's interval accounts for the scorers' correlation. A resample is a vector
of multinomial counts; the AUC of weighted data is computed from one sort per scorer (ties count
one half), so each resample costs O(n) per scorer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Ranked:
    """A scorer's validation rows in score order, with tie groups."""

    positive: np.ndarray
    group: np.ndarray
    order: np.ndarray


def _ranked(y: np.ndarray, score: np.ndarray) -> _Ranked:
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    new_value = np.r_[True, ordered[1:] != ordered[:-1]]
    return _Ranked(positive=y[order].astype(float), group=np.cumsum(new_value) - 1, order=order)


def weighted_auc(ranked: _Ranked, weights: np.ndarray) -> float:
    """ROC AUC when row i counts `weights[i]` times (ties between classes count one half)."""
    w = weights[ranked.order]
    positives = np.bincount(ranked.group, weights=w * ranked.positive)
    negatives = np.bincount(ranked.group, weights=w * (1.0 - ranked.positive))
    below = np.cumsum(negatives) - negatives
    pairs = positives.sum() * negatives.sum()
    return float(positives @ (below + 0.5 * negatives) / pairs) if pairs else float("nan")


def bootstrap_aucs(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    samples: int,
    random_state: int,
    max_rows: int | None = None,
) -> dict[str, np.ndarray]:
    """AUC of every scorer on `samples` paired resamples of the rows.

    With more than `max_rows` rows, resamples are drawn from a random subset of `max_rows`
    rows: the intervals get wider (conservative), the cost stays bounded on large stores.
    """
    y = np.asarray(y, dtype=bool)
    rng = np.random.default_rng(random_state)
    if max_rows is not None and y.size > max_rows:
        subset = np.sort(rng.choice(y.size, max_rows, replace=False))
        y = y[subset]
        scores = {name: np.asarray(score)[subset] for name, score in scores.items()}
    ranked = {name: _ranked(y, np.asarray(score, dtype=float)) for name, score in scores.items()}
    draws = {name: np.empty(samples) for name in scores}
    for k in range(samples):
        weights = np.bincount(rng.integers(0, y.size, y.size), minlength=y.size).astype(float)
        for name, r in ranked.items():
            draws[name][k] = weighted_auc(r, weights)
    return draws


def interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap draws."""
    finite = draws[np.isfinite(draws)]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)
