"""BG/NBD and Gamma-Gamma calibration summaries (frequency, recency, T, monetary value per
customer), computed in the warehouse (one occasion per day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from ml.sql import WarehouseSource, as_warehouse, date_literal, days_between
from retention.core.warehouse.base import read_table

#: Purchases in the warehouse: non-cancelled, non-returned orders from `marts.fct_orders`.
MART_PURCHASES_SQL = """
    select customer_id, cast(ordered_at as date) as purchase_date, net_revenue as amount
    from marts.fct_orders
    where is_purchase and customer_id is not null
"""


@dataclass(frozen=True)
class CalibrationSummary:
    """Per-customer calibration summary; times in units of `unit_days` days."""

    customer_id: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    holdout_frequency: np.ndarray
    unit_days: float
    holdout_amount: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.customer_id.size)


def summary_sql(
    engine: str, source_sql: str, *, start: date, cutoff: date, holdout_end: date, unit_days: float
) -> str:
    """The per-customer calibration + holdout summary query on `engine` (duckdb or spark)."""
    unit = repr(float(unit_days))
    cut = date_literal(cutoff)
    last_day = date_literal(cutoff - timedelta(days=1))
    return f"""
        with tx as ({source_sql}),
        occasions as (
            select customer_id, purchase_date, sum(amount) as amount
            from tx
            where purchase_date >= {date_literal(start)}
              and purchase_date < {date_literal(holdout_end)}
            group by customer_id, purchase_date
        ),
        calibration as (
            select
                customer_id,
                count(*) - 1 as frequency,
                {days_between(engine, "min(purchase_date)", "max(purchase_date)")} / {unit}
                    as recency,
                {days_between(engine, "min(purchase_date)", last_day)} / {unit} as t_age,
                (sum(amount) - min_by(amount, purchase_date)) / nullif(count(*) - 1, 0)
                    as monetary
            from occasions
            where purchase_date < {cut}
            group by customer_id
        ),
        holdout as (
            select customer_id, count(*) as holdout_frequency, sum(amount) as holdout_amount
            from occasions
            where purchase_date >= {cut}
            group by customer_id
        )
        select c.customer_id, cast(c.frequency as double) as frequency,
               cast(c.recency as double) as recency, cast(c.t_age as double) as t_age,
               cast(c.monetary as double) as monetary,
               cast(coalesce(h.holdout_frequency, 0) as double) as holdout_frequency,
               cast(coalesce(h.holdout_amount, 0) as double) as holdout_amount
        from calibration c left join holdout h on h.customer_id = c.customer_id
        order by c.customer_id
    """


def calibration_summary(
    source: WarehouseSource,
    *,
    cutoff: date,
    source_sql: str = MART_PURCHASES_SQL,
    start: date = date(1900, 1, 1),
    holdout_end: date | None = None,
    unit_days: float = 1.0,
) -> CalibrationSummary:
    """Summarise purchases dated in [start, cutoff) per customer, plus holdout counts.

    `source_sql` yields (customer_id, purchase_date DATE, amount); several purchases of one
    customer on one day form one occasion. `frequency` = occasions - 1, `recency` = last - first,
    `T` = last observed day (cutoff - 1 day, as in Fader et al.) - first, `monetary` = mean
    amount of the repeat occasions (NaN if none).
    Holdout counts occasions in [cutoff, holdout_end) and sums their amounts (0 when
    `holdout_end` is None).
    """
    warehouse = as_warehouse(source)
    sql = summary_sql(
        warehouse.target,
        source_sql,
        start=start,
        cutoff=cutoff,
        holdout_end=holdout_end or cutoff,
        unit_days=unit_days,
    )
    table = read_table(warehouse, sql)

    def floats(name: str) -> np.ndarray:
        return table.column(name).cast(pa.float64()).fill_null(np.nan).to_numpy()

    return CalibrationSummary(
        customer_id=np.asarray(table.column("customer_id").to_pylist()).astype(str),
        frequency=floats("frequency"),
        recency=floats("recency"),
        T=floats("t_age"),
        monetary=floats("monetary"),
        holdout_frequency=floats("holdout_frequency"),
        unit_days=float(unit_days),
        holdout_amount=floats("holdout_amount"),
    )


def collapse(summary: CalibrationSummary) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unique (frequency, recency, T) rows with their counts, for fast weighted fitting."""
    stacked = np.stack([summary.frequency, summary.recency, summary.T], axis=1)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(float)
