"""After `retention demo`, the Dagster instance `make dev` opens shows every asset materialized."""

from __future__ import annotations

import dagster as dg
import pytest

from activation.config import load_syncs
from orchestration.defs.activation.assets import sync_key
from retention.core.raw_contract import LOAD_ORDER
from retention.core.settings import DBT_PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]


def test_demo_materializes_raw_and_sync_assets_in_dagster(pipeline, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(pipeline.db_path.parent / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        for table in LOAD_ORDER:
            assert instance.get_latest_materialization_event(dg.AssetKey(["raw", table])), table
        assert instance.get_latest_materialization_event(dg.AssetKey(["marts", "customer_rfm"]))
        synced = [
            sync.name
            for sync in load_syncs(DBT_PROJECT_DIR)
            if instance.get_latest_materialization_event(sync_key(sync.name)) is not None
        ]
        runs = instance.get_runs()
    expected = {s.name for s in load_syncs(DBT_PROJECT_DIR)} - set(pipeline.summary.failed_syncs)
    assert expected and expected <= set(synced)
    assert [run.job_name for run in runs] == ["full_pipeline"]


def test_demo_raw_data_is_fresh_at_its_own_as_of(pipeline) -> None:
    assert not [c for c in pipeline.summary.failed_checks if "raw_orders_freshness" in c]
