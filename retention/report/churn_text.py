"""The churn model's validation metrics in words, for readers who do not know what AUC is.

Reads `ml.churn_model_runs.metrics` generically: every scorer under `scorers` is described,
whatever baselines the ML layer added, with a confidence interval when one is stored
(`roc_auc_ci` as `[low, high]` or `{low, high}`, or `roc_auc_ci_low` / `roc_auc_ci_high`).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from retention.report.curves import MODEL, display_name
from retention.report.model import Table

_RULE = re.compile(r"rule_(\d+)d")
_KNOWN = {
    MODEL: "the trained model, on order, engagement, feedback and delivery history",
    "recency": "days since the last order: the longer, the likelier to churn",
    "bgnbd_1_minus_p_alive": "1 minus the chance a BG/NBD purchase model gives that the customer "
    "is still active",
}


def describe(scorer: str) -> str:
    """What a scorer is, in a phrase; generic for baselines this module does not know."""
    if scorer in _KNOWN:
        return _KNOWN[scorer]
    rule = _RULE.fullmatch(scorer)
    if rule:
        return f"flags everyone with no purchase in the last {rule.group(1)} days"
    if "logistic" in scorer or "logreg" in scorer:
        return "a logistic regression, a simple statistical model, on the same inputs"
    if "no_purchase" in scorer:
        return "the chance of no purchase in the horizon, from a BG/NBD purchase model"
    return "a baseline the churn model is compared with"


def _auc(values: dict) -> float | None:
    auc = values.get("roc_auc")
    return None if auc is None or math.isnan(float(auc)) else float(auc)


def interval(values: dict) -> tuple[float, float] | None:
    """The stored confidence interval of a scorer's AUC, if any."""
    pair = values.get("roc_auc_ci")
    if isinstance(pair, dict):  # {"low": .., "high": ..} or {"lower": .., "upper": ..}
        pair = [pair.get("low", pair.get("lower")), pair.get("high", pair.get("upper"))]
    if isinstance(pair, list | tuple) and len(pair) == 2 and None not in pair:
        return float(pair[0]), float(pair[1])
    low, high = values.get("roc_auc_ci_low"), values.get("roc_auc_ci_high")
    if low is not None and high is not None:
        return float(low), float(high)
    return None


def reading(auc: float) -> str:
    """How good an AUC is, in words."""
    if auc < 0.5:
        return "points the wrong way"
    if auc < 0.55:
        return "no better than a coin flip"
    if auc < 0.7:
        return "weak"
    if auc < 0.8:
        return "useful"
    if auc < 0.9:
        return "strong"
    return "very strong (check for leakage)"


def explain(metrics: dict) -> list[str]:
    """Paragraphs that explain AUC, the model against its best baseline, and odd baselines."""
    scorers = {k: v for k, v in (metrics.get("scorers") or {}).items() if _auc(v) is not None}
    if not scorers:
        return []
    customers = int(metrics.get("validation_customers") or 0)
    rate = metrics.get("validation_churn_rate")
    churned = f", of whom {float(rate):.0%} churned" if rate is not None else ""
    notes = [
        "How to read this: AUC (area under the ROC curve) is the chance that a scorer ranks a "
        "customer who went on to churn above one who kept buying. 0.5 is a coin flip, 1.0 is "
        f"perfect. It is measured on {customers:,} customers whose next months were already "
        f"known when the model was checked{churned}; the model never saw them while training."
    ]
    baselines = {k: _auc(v) for k, v in scorers.items() if k != MODEL}
    model = _auc(scorers[MODEL]) if MODEL in scorers else None
    if model is not None and baselines:
        best = max(baselines, key=lambda k: baselines[k])
        margin = model - baselines[best]
        verdict = "ahead of" if margin > 0 else "behind"
        notes.append(
            f"The churn model scores {model:.3f} ({reading(model)}), {abs(margin):.3f} {verdict} "
            f"the best baseline, {display_name(best)} ({baselines[best]:.3f})."
        )
        ci = interval(scorers[MODEL])
        if ci:
            notes[-1] += f" 95% of resamples put the model between {ci[0]:.3f} and {ci[1]:.3f}."
    for name, auc in baselines.items():
        if auc < 0.5:
            notes.append(
                f"{display_name(name)} scores {auc:.3f}, below 0.5: on this store it ranks "
                "customers who churn below those who stay more often than not, so it points the "
                f"wrong way (turned around it would score {1 - auc:.3f}). It is shown as a "
                "reference, not as a predictor to use."
            )
        elif auc < 0.55:
            notes.append(
                f"{display_name(name)} scores {auc:.3f}: on this store it is no better than a "
                "coin flip at telling churners from customers who stay."
            )
    ece = metrics.get("expected_calibration_error")
    if ece is not None:
        notes.append(
            "Calibration: among customers given a churn probability of about 30%, about 30% "
            "should churn; points near the diagonal mean the probabilities can be read as "
            f"shares. On average the model is {float(ece):.1%} off."
        )
    return notes


def scorer_table(metrics: dict) -> Table:
    """One row per scorer: what it is, its AUC (with interval if stored) and what that means."""
    rows = []
    scorers = metrics.get("scorers") or {}
    for name in sorted(scorers, key=lambda n: n != MODEL):
        auc = _auc(scorers[name])
        if auc is None:
            continue
        ci = interval(scorers[name])
        rows.append(
            {
                "scorer": display_name(name),
                "what_it_is": describe(name),
                "AUC": f"{auc:.3f}" + (f" ({ci[0]:.3f} to {ci[1]:.3f})" if ci else ""),
                "reading": reading(auc),
            }
        )
    return Table("Churn model and baselines on the validation customers", pd.DataFrame(rows))
