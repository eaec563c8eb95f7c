"""Errors a user can act on when training or scoring the churn and CLV models."""

from __future__ import annotations

from orchestration.errors import UserError


class MLError(UserError):
    """Base class for problems with the data or artifacts the ML layer was given."""


class EmptyDataError(MLError):
    """A table the model needs has no usable rows."""


class TooFewCustomersError(MLError):
    """Too few customers (e.g. one) to fit a population model."""


class SingleClassLabelError(MLError):
    """Every training customer has the same label (e.g. all churned), so nothing can be learnt."""


class NoDataBeforeCutoffError(MLError):
    """No purchase happened before a training, validation or scoring cutoff."""


class FeatureSchemaMismatchError(MLError):
    """A saved model was trained on features that differ from the ones built now."""


class FitFailedError(MLError):
    """Maximum-likelihood optimisation did not converge to finite parameters."""
