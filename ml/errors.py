"""Errors a user can act on when training or scoring the churn and CLV models."""

from __future__ import annotations

from retention.core.errors import UserError


class MLError(UserError):
    """Base class for problems with the data or artifacts the ML layer was given."""


class InsufficientDataError(MLError):
    """The store has too little history to fit a model: customers get not-scored rows."""


class EmptyDataError(InsufficientDataError):
    """A table the model needs has no usable rows."""


class TooFewCustomersError(InsufficientDataError):
    """Too few customers (e.g. one) to fit a population model."""


class SingleClassLabelError(InsufficientDataError):
    """Every training customer has the same label (e.g. all churned), so nothing can be learnt."""


class NoDataBeforeCutoffError(InsufficientDataError):
    """No purchase happened before a training, validation or scoring cutoff."""


class FeaturesNotBuiltError(MLError):
    """The dbt churn feature models are missing or were built for other cutoffs or horizon."""


class FeatureSchemaMismatchError(MLError):
    """A saved model was trained on features that differ from the ones built now."""


class FitFailedError(MLError):
    """Maximum-likelihood optimisation did not converge to finite parameters."""
