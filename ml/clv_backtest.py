"""Out-of-time CLV backtest: fit at as_of - h, compare with what happened in [as_of - h, as_of).

Every candidate (ml/clv_candidates.py) predicts each customer's spend over the window from
purchases before its start. Reported per candidate: bias (total predicted / total actual - 1),
MAE per customer and top-decile capture (the share of the window's revenue brought by the 10%
of customers the candidate ranks highest) with a paired bootstrap interval; for BG/NBD +
Gamma-Gamma also the coverage of its posterior-predictive intervals of purchases and spend.
Capture is what models are chosen on: another candidate replaces BG/NBD + Gamma-Gamma only when
its capture margin's interval lies above 0.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import numpy as np

from ml.bgnbd import expected_purchases
from ml.bootstrap import interval
from ml.calibration import MART_PURCHASES_SQL, calibration_summary
from ml.clv_candidates import (
    BTYD,
    NAIVE,
    RFM_REGRESSION,
    btyd_spend,
    fit_btyd,
    past_spend,
    regression_spend,
)
from ml.clv_intervals import predictive_interval
from ml.config import ClvConfig
from ml.errors import MLError
from ml.sql import WarehouseSource

log = logging.getLogger(__name__)
TOP_SHARE = 0.10


def top_capture(predicted: np.ndarray, actual: np.ndarray, share: float = TOP_SHARE) -> float:
    """Share of the total `actual` brought by the top `share` of rows by `predicted`."""
    total = actual.sum()
    if total <= 0:
        return float("nan")
    k = max(1, int(round(share * predicted.size)))
    top = np.argsort(-predicted, kind="stable")[:k]
    return float(actual[top].sum() / total)


def bootstrap_captures(
    predictions: dict[str, np.ndarray], actual: np.ndarray, config: ClvConfig
) -> dict[str, np.ndarray]:
    """Top-decile capture of every candidate on the same `config.bootstrap_samples` resamples
    of customers (a random subset of `bootstrap_max_rows` on large stores)."""
    rng = np.random.default_rng(config.random_state)
    rows = np.arange(actual.size)
    if actual.size > config.bootstrap_max_rows:
        rows = rng.choice(actual.size, config.bootstrap_max_rows, replace=False)
    draws = {name: np.empty(config.bootstrap_samples) for name in predictions}
    for k in range(config.bootstrap_samples):
        pick = rows[rng.integers(0, rows.size, rows.size)]
        for name, predicted in predictions.items():
            draws[name][k] = top_capture(predicted[pick], actual[pick])
    return draws


def _errors(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    return {
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
        "bias": float(predicted.sum() / actual.sum() - 1.0) if actual.sum() > 0 else None,
        "mae": float(np.mean(np.abs(predicted - actual))),
        "top_decile_capture": top_capture(predicted, actual),
    }


def _coverage(lower: np.ndarray, upper: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    return {
        "coverage": float(np.mean((actual >= lower) & (actual <= upper))),
        "below": float(np.mean(actual < lower)),
        "above": float(np.mean(actual > upper)),
        "summed_lower": float(lower.sum()),
        "summed_upper": float(upper.sum()),
    }


def choose(captures: dict[str, float], draws: dict[str, np.ndarray], level: float) -> dict:
    """BG/NBD + Gamma-Gamma unless the best other candidate's capture margin over it has an
    interval above 0."""
    others = [name for name in captures if name != BTYD and np.isfinite(captures[name])]
    if not others:
        return {"chosen_model": BTYD, "choice_reason": "no other candidate could be evaluated"}
    best = max(others, key=lambda name: captures[name])
    margin = captures[best] - captures[BTYD]
    lower, upper = interval(draws[best] - draws[BTYD], level)
    text = (
        f"top-decile capture margin of {best} over {BTYD} {margin:+.4f} "
        f"({level:.0%} CI {lower:+.4f} to {upper:+.4f})"
    )
    chosen = best if lower > 0 else BTYD
    reason = (
        f"{text} excludes 0: {best} predicts CLV"
        if lower > 0
        else (f"{text} includes 0 or is below it: {BTYD} predicts CLV")
    )
    return {
        "chosen_model": chosen,
        "choice_reason": reason,
        "margin_over_btyd": {"candidate": best, "margin": margin, "lower": lower, "upper": upper},
    }


def clv_backtest(
    source: WarehouseSource,
    as_of: date,
    config: ClvConfig,
    *,
    source_sql: str = MART_PURCHASES_SQL,
    first_purchase: date | None = None,
) -> dict[str, Any]:
    """Backtest every candidate on the window [as_of - days, as_of) (see module doc), days =
    backtest_days or half the history since `first_purchase` if that is shorter.

    Returns the metrics stored in ml.clv_model_runs under `backtest`; `status` is `skipped`
    with a reason when the history before the window cannot be fitted.
    """
    history = (as_of - first_purchase).days if first_purchase else config.backtest_days * 2
    days = min(config.backtest_days, history // 2)  # keep half the history to fit on
    cutoff = as_of - timedelta(days=days)
    window = {"start": cutoff, "end": as_of, "days": days}
    summary = calibration_summary(
        source, cutoff=cutoff, source_sql=source_sql, holdout_end=as_of, unit_days=config.unit_days
    )
    try:
        fit = fit_btyd(summary)
    except MLError as error:
        return {"status": "skipped", "reason": str(error), "window": window}
    if fit.degenerate:
        reason = "degenerate fit: " + "; ".join(fit.degenerate)
        return {"status": "skipped", "reason": reason, "window": window}
    actual = summary.holdout_amount
    predictions = {BTYD: btyd_spend(fit, summary, days)}
    history = (cutoff - first_purchase).days if first_purchase else 0
    skipped: dict[str, str] = {}
    try:
        predictions[RFM_REGRESSION] = regression_spend(
            source, summary, cutoff, days, history, source_sql
        )
    except MLError as error:
        skipped[RFM_REGRESSION] = str(error)
    predictions[NAIVE] = past_spend(source, summary.customer_id, cutoff, days, source_sql)
    candidates = {name: _errors(pred, actual) for name, pred in predictions.items()}
    draws = bootstrap_captures(predictions, actual, config)
    for name, values in candidates.items():
        lower, upper = interval(draws[name], config.confidence)
        values["top_decile_capture_interval"] = {"lower": lower, "upper": upper}
    captures = {name: values["top_decile_capture"] for name, values in candidates.items()}
    spread = predictive_interval(
        fit.bg,
        fit.gg,
        summary,
        horizon_units=days / config.unit_days,
        discount_ratio=np.ones(len(summary)),
        draws=config.interval_draws,
        level=config.interval_level,
        random_state=config.random_state,
    )
    btyd = candidates[BTYD]
    btyd["purchases_interval"] = _coverage(
        spread.purchases_lower, spread.purchases_upper, summary.holdout_frequency
    )
    btyd["spend_interval"] = _coverage(spread.spend_lower, spread.spend_upper, actual)
    low, high = spread.total_spend
    btyd["total_spend_interval"] = {
        "lower": low,
        "upper": high,
        "covers_actual": bool(low <= actual.sum() <= high),
    }
    btyd["expected_purchases"] = float(
        expected_purchases(
            fit.bg, days / config.unit_days, summary.frequency, summary.recency, summary.T
        ).sum()
    )
    btyd["actual_purchases"] = float(summary.holdout_frequency.sum())
    result = {
        "status": "evaluated",
        "window": window,
        "customers": len(summary),
        "interval_level": config.interval_level,
        "confidence": config.confidence,
        "perfect_top_decile_capture": top_capture(actual, actual),
        "candidates": candidates,
        "skipped_candidates": skipped,
        **choose(captures, draws, config.confidence),
    }
    result["warnings"] = bias_warnings(candidates[result["chosen_model"]], config)
    for warning in result["warnings"]:
        log.warning("CLV backtest: %s", warning)
    return result


def bias_warnings(values: dict[str, Any], config: ClvConfig) -> list[str]:
    """One line when the chosen model's backtest bias is beyond `config.max_abs_bias`."""
    bias = values.get("bias")
    if bias is None or abs(bias) <= config.max_abs_bias:
        return []
    direction = "under" if bias < 0 else "over"
    return [
        f"predicted spend was {abs(bias):.1%} {direction} actual in the backtest (limit "
        f"{config.max_abs_bias:.0%}): read predicted CLV totals as {direction}-estimates"
    ]
