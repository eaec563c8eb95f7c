"""Fit BG/NBD + Gamma-Gamma as of a date, predict CLV, write ml.clv_predictions and the run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ml.bgnbd import BgNbdParams, expected_purchases, p_alive
from ml.calibration import CalibrationSummary, calibration_summary
from ml.clv_backtest import clv_backtest
from ml.clv_candidates import BTYD, NAIVE, RFM_REGRESSION, fit_btyd, past_spend, regression_spend
from ml.clv_intervals import predictive_interval
from ml.config import ClvConfig
from ml.errors import InsufficientDataError, MLError
from ml.gamma_gamma import expected_spend
from ml.minimums import history_stats, unmet_minimums
from ml.outputs import (
    all_customers,
    ensure_ml_tables,
    read_as_of,
    record_run,
    replace_table,
    require_orders,
)
from ml.sql import WarehouseSource, as_warehouse
from retention.core.warehouse.base import Warehouse, read_table

NOT_FITTED = "not_fitted"
FAILED = "failed"
DEGENERATE = "degenerate"


@dataclass(frozen=True)
class ClvResult:
    """Outcome of one CLV build: the run id, fitted parameters and row counts per reason."""

    run_id: str
    as_of: date
    parameters: dict[str, Any]
    rows_scored: int
    reasons: dict[str, int] = field(default_factory=dict)
    status: str = "scored"
    degenerate: list[str] = field(default_factory=list)
    backtest: dict[str, Any] = field(default_factory=dict)


def discounted_expected_purchases(
    params: BgNbdParams, summary: CalibrationSummary, config: ClvConfig
) -> np.ndarray:
    """Sum over periods of (expected purchases in the period) / (1 + rate)^(period in years)."""
    periods = max(1, round(config.horizon_days / 365 * config.discount_periods_per_year))
    step_units = config.horizon_days / periods / summary.unit_days
    total = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for k in range(1, periods + 1):
        cumulative = expected_purchases(
            params, k * step_units, summary.frequency, summary.recency, summary.T
        )
        years = k * config.horizon_days / periods / 365
        total += (cumulative - previous) / (1 + config.annual_discount_rate) ** years
        previous = cumulative
    return total


def _reasons(summary: CalibrationSummary) -> np.ndarray:
    return np.where(
        summary.frequency == 0,
        "one_order_only",
        np.where(summary.monetary > 0, "scored", "nonpositive_repeat_spend"),
    )


def clv_not_fitted(
    source: WarehouseSource,
    as_of: date | None,
    reason: str,
    status: str = NOT_FITTED,
    history: dict[str, int] | None = None,
) -> ClvResult:
    """Every customer without predictions, score_reason `reason`; the attempt is recorded."""
    warehouse = as_warehouse(source)
    if as_of is None:
        try:
            as_of = read_as_of(warehouse)
        except MLError:
            as_of = None
    ensure_ml_tables(warehouse)
    rows = all_customers(warehouse)
    for column in PREDICTED_COLUMNS:
        rows[column] = np.nan
    rows["score_reason"] = reason
    run_id = str(uuid.uuid4())
    now = datetime.now(UTC).replace(tzinfo=None)
    rows["model_run_id"] = run_id
    rows["scored_at"] = now
    metrics = {"status": status, "reason": reason, "history": history or {}}
    record_run(
        warehouse,
        "clv_model_runs",
        run_id=run_id,
        trained_at=now,
        window=(as_of, as_of),
        parameters={"as_of": as_of},
        metrics=metrics,
    )
    replace_table(warehouse, "clv_predictions", rows)
    return ClvResult(
        run_id=run_id,
        as_of=as_of,
        parameters={"status": status, "reason": reason},
        rows_scored=0,
        reasons={reason: len(rows)} if len(rows) else {},
        status=status,
    )


PREDICTED_COLUMNS = (
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_avg_order_value",
    "predicted_clv_365d",
    "predicted_clv_365d_lower",
    "predicted_clv_365d_upper",
    "purchases_365d_lower",
    "purchases_365d_upper",
)
#: Customers without orders: no purchases and no value expected (p_alive and AOV stay NULL).
ZERO_WITHOUT_ORDERS = [
    "expected_purchases_90d",
    "expected_purchases_365d",
    "predicted_clv_365d",
    "predicted_clv_365d_lower",
    "predicted_clv_365d_upper",
    "purchases_365d_lower",
    "purchases_365d_upper",
]


def build_clv_predictions(
    source: WarehouseSource,
    *,
    as_of: date | None = None,
    config: ClvConfig | None = None,
) -> ClvResult:
    """Fit both models on purchases before `as_of` and replace `ml.clv_predictions`.

    `source` is a Warehouse (DuckDB or Spark) or a DuckDB connection.

    Customers with one purchase occasion get BG/NBD predictions and the population mean spend
    (reason `one_order_only`); customers without purchases get p_alive/AOV NULL and zero
    expected purchases and CLV (reason `no_orders`). The fit is appended to ml.clv_model_runs.
    When the store misses a minimum (config.minimums) nothing is fitted: every customer gets
    NULL predictions and the reason (result.status `not_fitted`). A degenerate fit (parameters
    on their bounds, Gamma-Gamma q > 1000 or q <= 1) scores nobody either: the reason starts
    `degenerate_fit:` (status `degenerate`).

    Before scoring, the candidates are backtested (ml/clv_backtest.py) over
    [as_of - backtest_days, as_of); the one chosen on top-decile capture gives
    predicted_clv_365d. The 90% bounds of CLV and of purchases are BG/NBD + Gamma-Gamma
    posterior-predictive intervals (ml/clv_intervals.py).
    """
    warehouse = as_warehouse(source)
    config = config or ClvConfig()
    history: dict[str, int] = {}
    try:
        as_of = as_of or read_as_of(warehouse)
        require_orders(warehouse, as_of)
        stats = history_stats(warehouse, as_of)
        history = stats.as_dict()
        unmet = unmet_minimums(stats, config.minimums)
        if unmet:
            raise InsufficientDataError("; ".join(unmet))
        return _fitted(warehouse, as_of, config, history)
    except InsufficientDataError as error:
        return clv_not_fitted(warehouse, as_of, str(error), history=history)


def _first_purchase(warehouse: Warehouse) -> date:
    sql = "select min(cast(ordered_at as date)) as first from marts.fct_orders where is_purchase"
    return read_table(warehouse, sql).column(0)[0].as_py()


def _point_prediction(
    warehouse: Warehouse,
    chosen: str,
    summary: CalibrationSummary,
    btyd_clv: np.ndarray,
    ratio: np.ndarray,
    as_of: date,
    config: ClvConfig,
    history_days: int,
) -> np.ndarray:
    """Predicted (discounted) CLV from the model the backtest chose."""
    if chosen == RFM_REGRESSION:
        spend = regression_spend(warehouse, summary, as_of, config.horizon_days, history_days)
        return spend * ratio
    if chosen == NAIVE:
        return past_spend(warehouse, summary.customer_id, as_of, config.horizon_days) * ratio
    return btyd_clv


def _fitted(
    warehouse: Warehouse, as_of: date, config: ClvConfig, history: dict[str, int]
) -> ClvResult:
    ensure_ml_tables(warehouse)
    summary = calibration_summary(warehouse, cutoff=as_of, unit_days=config.unit_days)
    fit = fit_btyd(summary)
    if fit.degenerate:
        reason = "degenerate_fit: " + "; ".join(fit.degenerate)
        result = clv_not_fitted(warehouse, as_of, reason, status=DEGENERATE, history=history)
        return replace(result, degenerate=fit.degenerate)
    bg, gg = fit.bg, fit.gg
    first_purchase = _first_purchase(warehouse)
    backtest = clv_backtest(warehouse, as_of, config, first_purchase=first_purchase)
    chosen = backtest.get("chosen_model", BTYD)
    aov = expected_spend(gg, summary.frequency, summary.monetary)
    discounted = discounted_expected_purchases(bg, summary, config)
    horizon_units = config.horizon_days / config.unit_days
    args = (summary.frequency, summary.recency, summary.T)
    undiscounted = expected_purchases(bg, horizon_units, *args)
    ratio = np.where(undiscounted > 0, discounted / np.where(undiscounted > 0, undiscounted, 1), 1)
    spread = predictive_interval(
        bg,
        gg,
        summary,
        horizon_units=horizon_units,
        discount_ratio=ratio,
        draws=config.interval_draws,
        level=config.interval_level,
        random_state=config.random_state,
    )
    history_days = (as_of - first_purchase).days
    btyd_clv = aov * discounted
    predicted = _point_prediction(
        warehouse, chosen, summary, btyd_clv, ratio, as_of, config, history_days
    )
    scored = pd.DataFrame(
        {
            "customer_id": summary.customer_id,
            "p_alive": p_alive(bg, *args),
            "expected_purchases_90d": expected_purchases(bg, 90 / config.unit_days, *args),
            "expected_purchases_365d": expected_purchases(bg, 365 / config.unit_days, *args),
            "expected_avg_order_value": aov,
            "predicted_clv_365d": predicted,
            "predicted_clv_365d_lower": spread.spend_lower,
            "predicted_clv_365d_upper": spread.spend_upper,
            "purchases_365d_lower": spread.purchases_lower,
            "purchases_365d_upper": spread.purchases_upper,
            "score_reason": _reasons(summary),
        }
    )
    rows = all_customers(warehouse).merge(scored, on="customer_id", how="left")
    no_orders = rows["score_reason"].isna()
    rows.loc[no_orders, ZERO_WITHOUT_ORDERS] = 0.0
    rows.loc[no_orders, "score_reason"] = "no_orders"
    run_id = str(uuid.uuid4())
    now = datetime.now(UTC).replace(tzinfo=None)
    rows["model_run_id"] = run_id
    rows["scored_at"] = now
    parameters = {
        "bgnbd": bg.as_dict(),
        "gamma_gamma": gg.as_dict(),
        "time_unit": bg.time_unit,
        "unit_days": config.unit_days,
        "annual_discount_rate": config.annual_discount_rate,
        "horizon_days": config.horizon_days,
        "as_of": as_of,
        "chosen_model": chosen,
        "interval": {
            "level": spread.level,
            "method": spread.note,
            "model": BTYD,
            "rejected_parameter_draws": spread.rejected_draws,
        },
    }
    chosen_metrics = backtest.get("candidates", {}).get(chosen, {})
    metrics = {
        "bgnbd_log_likelihood": bg.log_likelihood,
        "gamma_gamma_log_likelihood": gg.log_likelihood,
        "customers_fitted": len(summary),
        "repeat_buyers_fitted": gg.n_customers,
        "population_mean_spend": gg.population_mean_spend,
        "converged": bg.converged and gg.converged,
        "degenerate": [],
        "history": history,
        "chosen_model": chosen,
        "backtest_bias": chosen_metrics.get("bias"),
        "backtest_mae": chosen_metrics.get("mae"),
        "top_decile_capture": chosen_metrics.get("top_decile_capture"),
        "top_decile_capture_interval": chosen_metrics.get("top_decile_capture_interval"),
        "warnings": backtest.get("warnings", []),
        "backtest": backtest,
    }
    record_run(
        warehouse,
        "clv_model_runs",
        run_id=run_id,
        trained_at=now,
        window=(first_purchase, as_of),
        parameters=parameters,
        metrics=metrics,
    )
    replace_table(warehouse, "clv_predictions", rows)
    return ClvResult(
        run_id=run_id,
        as_of=as_of,
        parameters=parameters,
        rows_scored=int((rows["score_reason"] != "no_orders").sum()),
        reasons=rows["score_reason"].value_counts().to_dict(),
        status="scored",
        backtest=backtest,
    )
