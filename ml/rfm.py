"""RFM summaries for BG/NBD / Gamma-Gamma, computed in DuckDB (one purchase occasion per day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np

#: Purchases in the warehouse: non-cancelled, non-returned orders from `marts.fct_orders`.
MART_PURCHASES_SQL = """
    select customer_id, cast(ordered_at as date) as purchase_date, net_revenue as amount
    from marts.fct_orders
    where is_purchase and customer_id is not null
"""


@dataclass(frozen=True)
class RfmSummary:
    """Per-customer calibration summary; times in units of `unit_days` days."""

    customer_id: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    holdout_frequency: np.ndarray
    unit_days: float

    def __len__(self) -> int:
        return int(self.customer_id.size)


def _summary_sql(source_sql: str) -> str:
    return f"""
        with tx as ({source_sql}),
        occasions as (
            select customer_id, purchase_date, sum(amount) as amount
            from tx
            where purchase_date >= $start and purchase_date < $holdout_end
            group by customer_id, purchase_date
        ),
        calibration as (
            select
                customer_id,
                count(*) - 1 as frequency,
                date_diff('day', min(purchase_date), max(purchase_date)) / $unit as recency,
                date_diff('day', min(purchase_date), cast($cutoff as date) - 1) / $unit as t_age,
                (sum(amount) - arg_min(amount, purchase_date)) / nullif(count(*) - 1, 0)
                    as monetary
            from occasions
            where purchase_date < $cutoff
            group by customer_id
        ),
        holdout as (
            select customer_id, count(*) as holdout_frequency
            from occasions
            where purchase_date >= $cutoff
            group by customer_id
        )
        select c.customer_id, c.frequency, c.recency, c.t_age, c.monetary,
               coalesce(h.holdout_frequency, 0) as holdout_frequency
        from calibration c left join holdout h using (customer_id)
        order by c.customer_id
    """


def rfm_summary(
    con: duckdb.DuckDBPyConnection,
    *,
    cutoff: date,
    source_sql: str = MART_PURCHASES_SQL,
    start: date = date(1900, 1, 1),
    holdout_end: date | None = None,
    unit_days: float = 1.0,
) -> RfmSummary:
    """Summarise purchases dated in [start, cutoff) per customer, plus holdout counts.

    `source_sql` yields (customer_id, purchase_date DATE, amount); several purchases of one
    customer on one day form one occasion. `frequency` = occasions - 1, `recency` = last - first,
    `T` = last observed day (cutoff - 1 day, as in Fader et al.) - first, `monetary` = mean
    amount of the repeat occasions (NaN if none).
    Holdout counts occasions in [cutoff, holdout_end) (0 when `holdout_end` is None).
    """
    params = {
        "start": start,
        "cutoff": cutoff,
        "holdout_end": holdout_end or cutoff,
        "unit": float(unit_days),
    }
    cols = con.execute(_summary_sql(source_sql), params).fetchnumpy()
    return RfmSummary(
        customer_id=cols["customer_id"].astype(str),
        frequency=cols["frequency"].astype(float),
        recency=cols["recency"].astype(float),
        T=cols["t_age"].astype(float),
        monetary=np.ma.filled(np.ma.asarray(cols["monetary"], dtype=float), np.nan),
        holdout_frequency=cols["holdout_frequency"].astype(float),
        unit_days=float(unit_days),
    )


def collapse(summary: RfmSummary) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unique (frequency, recency, T) rows with their counts, for fast weighted fitting."""
    stacked = np.stack([summary.frequency, summary.recency, summary.T], axis=1)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(float)
