"""Fit BG/NBD + Gamma-Gamma as of a date, predict CLV, write ml.clv_predictions and the run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ml.bgnbd import BgNbdParams, expected_purchases, fit_bgnbd, p_alive
from ml.config import ClvConfig
from ml.gamma_gamma import expected_spend, fit_gamma_gamma
from ml.rfm import RfmSummary, collapse, rfm_summary
from ml.sql import WarehouseSource, as_warehouse
from ml.warehouse import (
    all_customers,
    ensure_ml_tables,
    read_as_of,
    record_run,
    replace_table,
    require_orders,
)
from orchestration.warehouse.base import read_table


@dataclass(frozen=True)
class ClvResult:
    """Outcome of one CLV build: the run id, fitted parameters and row counts per reason."""

    run_id: str
    as_of: date
    parameters: dict[str, Any]
    rows_scored: int
    reasons: dict[str, int] = field(default_factory=dict)


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
    """
    warehouse = as_warehouse(source)
    config = config or ClvConfig()
    as_of = as_of or read_as_of(warehouse)
    require_orders(warehouse, as_of)
    ensure_ml_tables(warehouse)
    unit = f"{config.unit_days:g} days" if config.unit_days != 7 else "weeks"
    summary = rfm_summary(warehouse, cutoff=as_of, unit_days=config.unit_days)
    frequency, recency, age, weights = collapse(summary)
    bg = fit_bgnbd(frequency, recency, age, weights=weights, time_unit=unit)
    gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    aov = expected_spend(gg, summary.frequency, summary.monetary)
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
            "predicted_clv_365d": aov * discounted_expected_purchases(bg, summary, config),
            "score_reason": _reasons(summary),
        }
    )
    rows = all_customers(warehouse).merge(scored, on="customer_id", how="left")
    no_orders = rows["score_reason"].isna()
    rows.loc[no_orders, ["expected_purchases_90d", "expected_purchases_365d"]] = 0.0
    rows.loc[no_orders, "predicted_clv_365d"] = 0.0
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
    }
    metrics = {
        "bgnbd_log_likelihood": bg.log_likelihood,
        "gamma_gamma_log_likelihood": gg.log_likelihood,
        "customers_fitted": len(summary),
        "repeat_buyers_fitted": gg.n_customers,
        "population_mean_spend": gg.population_mean_spend,
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
    )
