"""How much history a store needs before the churn and CLV models are fitted."""

import dagster as dg
from pydantic import Field

from ml.config import DataMinimums

_DEFAULTS = DataMinimums()


class ModelMinimums(dg.ConfigurableResource):
    """Least history before churn and CLV are fitted (defaults modelled on Klaviyo's predictive
    analytics: 500 buyers, 50 repeat buyers, 180 days). Below them every customer gets a
    not-scored row naming the minimum missed. A smaller store may lower them (launchpad, or
    `retention build --min-buyers N ...`); the model card and ml.*_model_runs record the fit,
    so judge its metrics before acting on the scores.
    """

    min_buyers: int = Field(
        default=_DEFAULTS.min_buyers, ge=2, description="Customers with a purchase before as_of."
    )
    min_repeat_buyers: int = Field(
        default=_DEFAULTS.min_repeat_buyers,
        ge=0,
        description="Customers with purchases on at least two days before as_of.",
    )
    min_history_days: int = Field(
        default=_DEFAULTS.min_history_days,
        ge=0,
        description="Days from the first purchase to as_of.",
    )

    def minimums(self) -> DataMinimums:
        """These minimums as the ML config reads them."""
        return DataMinimums(
            min_buyers=self.min_buyers,
            min_repeat_buyers=self.min_repeat_buyers,
            min_history_days=self.min_history_days,
        )
