"""What the fast path builds: the triggered audiences, everything upstream of them that is not
raw or ML, and their syncs (dbt tag `triggered`)."""

import dagster as dg

from orchestration.defs.activation.assets import ACTIVATION_GROUP, TRIGGERED_TAG
from orchestration.defs.ingest.assets import RAW_SCHEMA
from orchestration.defs.ml.assets import ML_GROUP

TRIGGERED_JOB = "triggered_refresh"
INGEST_AND_TRIGGER_JOB = "ingest_and_trigger"

_raw = dg.AssetSelection.groups(RAW_SCHEMA)
_syncs = dg.AssetSelection.groups(ACTIVATION_GROUP) & dg.AssetSelection.tag(TRIGGERED_TAG, "")
_audiences = dg.AssetSelection.tag(TRIGGERED_TAG, "") - dg.AssetSelection.groups(ACTIVATION_GROUP)


def fast_path_selection(with_raw: bool = False) -> dg.AssetSelection:
    """Triggered audiences and their non-raw, non-ML upstream models, plus their syncs; with
    `with_raw`, the raw tables (ingest) first.

    ML and what reads it are left out: scores stay those of the daily build.
    """
    models = _audiences.upstream() - _raw - dg.AssetSelection.groups(ML_GROUP).downstream()
    selection = models | _audiences | _syncs
    return selection | _raw if with_raw else selection
