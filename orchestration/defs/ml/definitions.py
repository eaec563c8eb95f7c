"""ML domain definitions."""

import dagster as dg

from orchestration.defs.ml.assets import churn, clv

defs = dg.Definitions(assets=[churn, clv])
