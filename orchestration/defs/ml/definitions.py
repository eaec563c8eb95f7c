"""ML domain definitions."""

import dagster as dg

from orchestration.defs.ml.assets import churn, clv
from orchestration.defs.ml.resources import ModelMinimums

defs = dg.Definitions(assets=[churn, clv], resources={"model_minimums": ModelMinimums()})
