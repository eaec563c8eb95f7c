"""Point-in-time churn features and labels, read from the dbt models that compute them.

dbt computes them for every cutoff the model needs (`intermediate.int_churn_cutoffs`: scoring at
as_of, validation and training one and two label horizons before it):
`int_churn_features_by_cutoff` filters every input row to `< cutoff`, so a feature at cutoff c
only reflects what was knowable at the start of day c; `int_churn_labels_by_cutoff` says who
bought nothing in [c, c + horizon). The population at a cutoff is every customer with at least
one purchase before it. They are views, so they always reflect the current marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from ml.errors import FeaturesNotBuiltError
from ml.sql import WarehouseSource, as_warehouse, date_literal
from retention.core.warehouse.base import Warehouse, read_table

SCHEMA = "intermediate"
CUTOFFS = "int_churn_cutoffs"
FEATURES = "int_churn_features_by_cutoff"
LABELS = "int_churn_labels_by_cutoff"
KEY_COLUMNS = ("cutoff_date", "customer_id")


def _require_cutoff(warehouse: Warehouse, cutoff: date) -> dict[str, Any]:
    """The int_churn_cutoffs row of `cutoff`; a clear error when dbt did not build it."""
    for name in (CUTOFFS, FEATURES, LABELS):
        if not warehouse.table_exists(SCHEMA, name):
            raise FeaturesNotBuiltError(
                f"{SCHEMA}.{name} is missing: run `retention build` (dbt) before churn scoring."
            )
    rows = read_table(
        warehouse,
        f"select horizon_days, label_end_date from {SCHEMA}.{CUTOFFS} "
        f"where cutoff_date = {date_literal(cutoff)}",
    ).to_pylist()
    if not rows:
        built = read_table(warehouse, f"select cutoff_date from {SCHEMA}.{CUTOFFS}")
        raise FeaturesNotBuiltError(
            f"{SCHEMA}.{CUTOFFS} has no cutoff {cutoff} (it has "
            f"{', '.join(sorted(str(d) for d in built.column('cutoff_date').to_pylist()))}): "
            "rebuild dbt with the same as_of_date and churn_horizon_days as the churn model."
        )
    return rows[0]


@dataclass(frozen=True)
class FeatureFrame:
    """Features of every customer with a purchase before `cutoff`, rows sorted by id."""

    cutoff: date
    customer_id: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray

    @property
    def schema(self) -> list[tuple[str, str]]:
        """Ordered (feature name, dtype) pairs: what a saved model must have been trained on."""
        return [(name, str(self.values.dtype)) for name in self.names]

    def column(self, name: str) -> np.ndarray:
        """One feature column by name."""
        return self.values[:, self.names.index(name)]

    def select(self, names: list[str] | tuple[str, ...]) -> FeatureFrame:
        """The same customers with only the features `names`, in that order."""
        index = [self.names.index(name) for name in names]
        return FeatureFrame(
            cutoff=self.cutoff,
            customer_id=self.customer_id,
            names=tuple(names),
            values=self.values[:, index],
        )


def build_features(source: WarehouseSource, cutoff: date) -> FeatureFrame:
    """The features of every customer with a purchase before `cutoff` (one row each, by id)."""
    warehouse = as_warehouse(source)
    _require_cutoff(warehouse, cutoff)
    table = read_table(
        warehouse,
        f"select * from {SCHEMA}.{FEATURES} where cutoff_date = {date_literal(cutoff)} "
        "order by customer_id",
    )
    names = tuple(name for name in table.column_names if name not in KEY_COLUMNS)
    values = (
        np.column_stack([_floats(table.column(name)) for name in names])
        if names
        else np.empty((0, 0))
    )
    return FeatureFrame(
        cutoff=cutoff,
        customer_id=np.asarray(table.column("customer_id").to_pylist()).astype(str),
        names=names,
        values=values.astype(np.float32),
    )


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64 with NaN for NULL."""
    return column.cast(pa.float64()).fill_null(np.nan).to_numpy()


def build_labels(
    source: WarehouseSource, cutoff: date, horizon_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customer_id, churned) for customers with a purchase before `cutoff`.

    churned = no purchase (non-cancelled, non-returned order) in [cutoff, cutoff + horizon).
    dbt must have built the labels with the same horizon (var `churn_horizon_days`).
    """
    warehouse = as_warehouse(source)
    built = _require_cutoff(warehouse, cutoff)
    if built["label_end_date"] != cutoff + timedelta(days=horizon_days):
        raise FeaturesNotBuiltError(
            f"{SCHEMA}.{CUTOFFS} was built with churn_horizon_days={built['horizon_days']}, "
            f"the churn model uses horizon_days={horizon_days}: rebuild dbt with "
            f"--vars '{{churn_horizon_days: {horizon_days}}}'."
        )
    table = read_table(
        warehouse,
        f"select customer_id, is_churned from {SCHEMA}.{LABELS} "
        f"where cutoff_date = {date_literal(cutoff)} order by customer_id",
    )
    return (
        np.asarray(table.column("customer_id").to_pylist()).astype(str),
        np.asarray(table.column("is_churned").to_pylist(), dtype=bool),
    )
