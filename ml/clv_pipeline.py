"""Fit BG/NBD + Gamma-Gamma as of a date, predict CLV, write ml.clv_predictions and the run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ml.bgnbd import BgNbdParams, expected_purchases, fit_bgnbd, p_alive
from ml.clv_intervals import clv_interval
from ml.config import ClvConfig
from ml.errors import InsufficientDataError, MLError
from ml.gamma_gamma import expected_spend, fit_gamma_gamma
from ml.minimums import history_stats, unmet_minimums
from ml.outputs import (
    all_customers,
    ensure_ml_tables,
    read_as_of,
    record_run,
    replace_table,
    require_orders,
)
from ml.rfm import RfmSummary, collapse, rfm_summary
from ml.sql import WarehouseSource, as_warehouse
from retention.core.warehouse.base import Warehouse, read_table

NOT_FITTED = "not_fitted"
FAILED = "failed"


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


def discounted_expected_purchases(
    params: BgNbdParams, summary: RfmSummary, config: ClvConfig
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


def _reasons(summary: RfmSummary) -> np.ndarray:
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
)


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
    NULL predictions and the reason (result.status `not_fitted`). Degenerate fits (parameters
    on their bounds, Gamma-Gamma q > 1000) are scored but flagged (`converged` false,
    `degenerate` reasons in the run and result).
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


def _fitted(
    warehouse: Warehouse, as_of: date, config: ClvConfig, history: dict[str, int]
) -> ClvResult:
    ensure_ml_tables(warehouse)
    unit = f"{config.unit_days:g} days" if config.unit_days != 7 else "weeks"
    summary = rfm_summary(warehouse, cutoff=as_of, unit_days=config.unit_days)
    frequency, recency, age, weights = collapse(summary)
    bg = fit_bgnbd(frequency, recency, age, weights=weights, time_unit=unit)
    gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    aov = expected_spend(gg, summary.frequency, summary.monetary)
    discounted = discounted_expected_purchases(bg, summary, config)
    interval = clv_interval(
        bg,
        gg,
        summary,
        discounted,
        draws=config.interval_draws,
        level=config.interval_level,
        random_state=config.random_state,
        unit_days=config.unit_days,
    )
    scored = pd.DataFrame(
        {
            "customer_id": summary.customer_id,
            "p_alive": p_alive(bg, summary.frequency, summary.recency, summary.T),
            "expected_purchases_90d": expected_purchases(
                bg, 90 / config.unit_days, summary.frequency, summary.recency, summary.T
            ),
            "expected_purchases_365d": expected_purchases(
                bg, 365 / config.unit_days, summary.frequency, summary.recency, summary.T
            ),
            "expected_avg_order_value": aov,
            "predicted_clv_365d": aov * discounted,
            "predicted_clv_365d_lower": interval.lower,
            "predicted_clv_365d_upper": interval.upper,
            "score_reason": _reasons(summary),
        }
    )
    rows = all_customers(warehouse).merge(scored, on="customer_id", how="left")
    no_orders = rows["score_reason"].isna()
    rows.loc[no_orders, ["expected_purchases_90d", "expected_purchases_365d"]] = 0.0
    rows.loc[
        no_orders, ["predicted_clv_365d", "predicted_clv_365d_lower", "predicted_clv_365d_upper"]
    ] = 0.0
    rows.loc[no_orders, "score_reason"] = "no_orders"
    run_id = str(uuid.uuid4())
    now = datetime.now(UTC).replace(tzinfo=None)
    rows["model_run_id"] = run_id
    rows["scored_at"] = now
    first_purchase = (
        read_table(
            warehouse,
            "select min(cast(ordered_at as date)) as first from marts.fct_orders where is_purchase",
        )
        .column(0)[0]
        .as_py()
    )
    parameters = {
        "bgnbd": bg.as_dict(),
        "gamma_gamma": gg.as_dict(),
        "time_unit": unit,
        "unit_days": config.unit_days,
        "annual_discount_rate": config.annual_discount_rate,
        "horizon_days": config.horizon_days,
        "as_of": as_of,
        "interval": {"level": interval.level, "method": interval.note},
    }
    degenerate = [f"BG/NBD {reason}" for reason in bg.degenerate] + [
        f"Gamma-Gamma {reason}" for reason in gg.degenerate
    ]
    metrics = {
        "bgnbd_log_likelihood": bg.log_likelihood,
        "gamma_gamma_log_likelihood": gg.log_likelihood,
        "customers_fitted": len(summary),
        "repeat_buyers_fitted": gg.n_customers,
        "population_mean_spend": gg.population_mean_spend,
        "converged": bg.converged and gg.converged,
        "degenerate": degenerate,
        "history": history,
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
        status="degenerate" if degenerate else "scored",
        degenerate=degenerate,
    )
