"""Which features a churn fit can learn from: drop empty and constant ones.

Orders-only stores (CDNOW, Online Retail II) have no events, feedback or shipments, so those
features are NULL or 0 for everyone; a feature without values cannot be binned and one with a
single value carries no signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.features import FeatureFrame


@dataclass(frozen=True)
class FeatureSelection:
    """Features kept for the fit, in frame order, and the dropped ones with their reason."""

    kept: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain dict for the model card and run metrics."""
        return {"kept": list(self.kept), "dropped": dict(self.dropped)}


def _problem(column: np.ndarray, min_rows: int) -> str | None:
    present = column[~np.isnan(column)]
    if present.size == 0:
        return "empty: no customer has a value"
    if present.size < min_rows:
        return f"sparse: {present.size} customers have a value, need {min_rows}"
    if np.unique(present).size < 2:
        return f"constant: every value is {present[0]:g}"
    return None


def select_features(frames: list[FeatureFrame], min_rows: int) -> FeatureSelection:
    """Keep a feature only if it has >= `min_rows` values and 2+ distinct values in every
    frame a model is fitted on; the first problem found is the reason it is dropped."""
    names = frames[0].names
    dropped: dict[str, str] = {}
    for name in names:
        for frame in frames:
            problem = _problem(frame.column(name).astype(float), min_rows)
            if problem is not None:
                dropped[name] = f"{problem} (cutoff {frame.cutoff})"
                break
    return FeatureSelection(
        kept=tuple(name for name in names if name not in dropped), dropped=dropped
    )
