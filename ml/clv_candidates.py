"""The CLV predictors compared out of time: BG/NBD + Gamma-Gamma, a spend regression on RFM
features and the naive baseline (the customer's spend over the previous horizon).

Each returns, for every customer with a purchase before `cutoff`, the expected undiscounted
spend in [cutoff, cutoff + horizon_days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml.bgnbd import BgNbdParams, expected_purchases, fit_bgnbd
from ml.calibration import MART_PURCHASES_SQL, CalibrationSummary, calibration_summary, collapse
from ml.errors import InsufficientDataError
from ml.gamma_gamma import GammaGammaParams, expected_spend, fit_gamma_gamma
from ml.sql import WarehouseSource, as_warehouse, date_literal
from retention.core.warehouse.base import read_table

BTYD = "bgnbd_gamma_gamma"
RFM_REGRESSION = "rfm_regression"
NAIVE = "naive_past_spend"
#: Fewest customers a regression's training cutoff needs.
MIN_REGRESSION_CUSTOMERS = 50


@dataclass(frozen=True)
class BtydFit:
    """Both BTYD fits on one summary."""

    bg: BgNbdParams
    gg: GammaGammaParams

    @property
    def degenerate(self) -> list[str]:
        """Every degenerate-fit reason of both models."""
        return [f"BG/NBD {r}" for r in self.bg.degenerate] + [
            f"Gamma-Gamma {r}" for r in self.gg.degenerate
        ]


def fit_btyd(summary: CalibrationSummary) -> BtydFit:
    """BG/NBD on the collapsed summary and Gamma-Gamma on its repeat buyers."""
    frequency, recency, age, weights = collapse(summary)
    unit = f"{summary.unit_days:g} days" if summary.unit_days != 7 else "weeks"
    bg = fit_bgnbd(frequency, recency, age, weights=weights, time_unit=unit)
    return BtydFit(bg, fit_gamma_gamma(summary.frequency, summary.monetary))


def btyd_spend(fit: BtydFit, summary: CalibrationSummary, horizon_days: float) -> np.ndarray:
    """Expected purchases in the horizon times the Gamma-Gamma expected order value."""
    purchases = expected_purchases(
        fit.bg, horizon_days / summary.unit_days, summary.frequency, summary.recency, summary.T
    )
    return purchases * expected_spend(fit.gg, summary.frequency, summary.monetary)


def past_spend(
    source: WarehouseSource,
    customer_ids: np.ndarray,
    cutoff: date,
    days: int,
    source_sql: str = MART_PURCHASES_SQL,
) -> np.ndarray:
    """Each customer's spend in [cutoff - days, cutoff): the naive forecast of the next `days`."""
    warehouse = as_warehouse(source)
    table = read_table(
        warehouse,
        f"""
        with tx as ({source_sql})
        select customer_id, sum(amount) as spend from tx
        where purchase_date >= {date_literal(cutoff - timedelta(days=days))}
          and purchase_date < {date_literal(cutoff)}
        group by customer_id
        """,
    ).to_pandas()
    by_id = pd.Series(table["spend"].to_numpy(float), index=table["customer_id"].astype(str))
    return by_id.reindex(customer_ids).fillna(0.0).to_numpy()


def rfm_matrix(summary: CalibrationSummary) -> np.ndarray:
    """log(1 + value) of frequency, recency, age, T - recency and repeat spend (NULL as 0)."""
    values = np.column_stack(
        [
            summary.frequency,
            summary.recency,
            summary.T,
            summary.T - summary.recency,
            np.nan_to_num(summary.monetary, nan=0.0),
        ]
    )
    return np.log1p(np.clip(values, 0.0, None))


def regression_spend(
    source: WarehouseSource,
    summary: CalibrationSummary,
    cutoff: date,
    horizon_days: int,
    history_days: int,
    source_sql: str = MART_PURCHASES_SQL,
) -> np.ndarray:
    """Poisson regression of spend on log RFM features, trained at cutoff - w on the spend in
    [cutoff - w, cutoff), w = min(horizon, half the history): predictions scaled by horizon / w.
    """
    window = min(horizon_days, history_days // 2)
    train_cutoff = cutoff - timedelta(days=window)
    train = calibration_summary(
        source,
        cutoff=train_cutoff,
        source_sql=source_sql,
        holdout_end=cutoff,
        unit_days=summary.unit_days,
    )
    if window < 7 or len(train) < MIN_REGRESSION_CUSTOMERS:
        raise InsufficientDataError(
            f"rfm_regression needs {MIN_REGRESSION_CUSTOMERS} buyers and 14 days of history "
            f"before {cutoff}, got {len(train)} buyers and {history_days} days"
        )
    model = make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-4, max_iter=1000))
    model.fit(rfm_matrix(train), train.holdout_amount)
    return model.predict(rfm_matrix(summary)) * horizon_days / window
