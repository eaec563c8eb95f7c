"""Simple churn scorers the model must beat: logistic regression on RFM and BG/NBD.

Both give probabilities, so either can replace the gradient-boosted model when it is not
clearly better (see ml/model_choice.py).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ml.bgnbd import BgNbdParams, fit_bgnbd, p_no_purchase
from ml.calibration import calibration_summary, collapse
from ml.features import FeatureFrame
from retention.core.warehouse.base import Warehouse

RFM_FEATURES = ("recency_days", "frequency", "monetary")
BGNBD_UNIT_DAYS = 7.0


def rfm_matrix(frame: FeatureFrame) -> np.ndarray:
    """log(1 + max(0, value)) of recency, frequency and monetary (NULL as 0)."""
    values = np.column_stack([frame.column(name).astype(float) for name in RFM_FEATURES])
    return np.log1p(np.clip(np.nan_to_num(values, nan=0.0), 0.0, None))


def fit_logistic_rfm(frame: FeatureFrame, churned: np.ndarray) -> Pipeline:
    """Standardised logistic regression of churn on log RFM."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return model.fit(rfm_matrix(frame), churned.astype(int))


def predict_logistic_rfm(model: Pipeline, frame: FeatureFrame) -> np.ndarray:
    """P(churn) from the logistic RFM model."""
    return model.predict_proba(rfm_matrix(frame))[:, 1]


def bgnbd_no_purchase(
    warehouse: Warehouse, cutoff: date, customer_ids: np.ndarray, horizon_days: int
) -> tuple[np.ndarray, BgNbdParams]:
    """P(no purchase in the `horizon_days` after `cutoff`) from a BG/NBD fit on purchases before
    `cutoff` (weeks), aligned to `customer_ids`; and the fitted parameters."""
    summary = calibration_summary(warehouse, cutoff=cutoff, unit_days=BGNBD_UNIT_DAYS)
    frequency, recency, age, weights = collapse(summary)
    params = fit_bgnbd(frequency, recency, age, weights=weights, time_unit="weeks")
    prob = p_no_purchase(
        params, horizon_days / BGNBD_UNIT_DAYS, summary.frequency, summary.recency, summary.T
    )
    by_id = pd.Series(prob, index=summary.customer_id)
    return by_id.reindex(customer_ids).to_numpy(), params


#: The BG/NBD probability as a feature of the booster (orders-only stores carry little else).
BGNBD_FEATURE = "bgnbd_p_no_purchase_horizon"


def with_bgnbd_feature(
    warehouse: Warehouse, frame: FeatureFrame, horizon_days: int
) -> FeatureFrame:
    """`frame` plus the column BGNBD_FEATURE: P(no purchase in the horizon) from a BG/NBD fit on
    purchases before the frame's cutoff (point in time like every dbt feature)."""
    prob, _ = bgnbd_no_purchase(warehouse, frame.cutoff, frame.customer_id, horizon_days)
    return FeatureFrame(
        cutoff=frame.cutoff,
        customer_id=frame.customer_id,
        names=(*frame.names, BGNBD_FEATURE),
        values=np.column_stack([frame.values, prob.astype(frame.values.dtype)]),
    )
