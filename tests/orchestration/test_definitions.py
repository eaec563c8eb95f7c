"""The Definitions load and form one graph: raw -> staging -> marts -> ML -> audiences -> syncs."""

from __future__ import annotations

import dagster as dg
import pytest

from activation.config import load_syncs
from orchestration.defs.activation.assets import sync_key
from retention.core.raw_contract import LOAD_ORDER
from retention.core.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.xdist_group("orchestration_defs")


@pytest.fixture(scope="module")
def graph(defs: dg.Definitions):
    return defs.resolve_asset_graph()


def _upstream(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    pending = [key]
    while pending:
        for parent in graph.get(pending.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    return seen


def test_raw_tables_are_assets_that_dbt_sources_read(graph) -> None:
    for table in LOAD_ORDER:
        key = dg.AssetKey(["raw", table])
        assert graph.get(key).is_materializable, key
        assert graph.get(key).group_name == "raw"
    assert (
        dg.AssetKey(["raw", "orders"])
        in graph.get(dg.AssetKey(["staging", "stg_shop__orders"])).parent_keys
    )


def test_dbt_keys_and_groups_follow_schemas(graph) -> None:
    expected = {
        ("staging", "stg_shop__customers"): "staging",
        ("marts", "dim_customers"): "marts",
        ("marts", "customer_rfm"): "marts",
        ("marts", "customer_ltv"): "marts",
    }
    for path, group in expected.items():
        assert graph.get(dg.AssetKey(list(path))).group_name == group
    audience_groups = {
        graph.get(k).group_name for k in graph.get_all_asset_keys() if k.path[0] == "audiences"
    }
    assert audience_groups == {"audiences"}


def test_ml_assets_sit_between_marts_and_the_models_that_read_them(graph) -> None:
    churn = dg.AssetKey(["ml", "churn_scores"])
    clv = dg.AssetKey(["ml", "clv_predictions"])
    assert graph.get(churn).is_materializable and graph.get(clv).is_materializable
    assert dg.AssetKey(["marts", "fct_orders"]) in graph.get(churn).parent_keys
    features = dg.AssetKey(["intermediate", "int_churn_features_by_cutoff"])
    assert features in graph.get(dg.AssetKey(["ml", "churn_model_runs"])).parent_keys
    assert graph.get(features).is_materializable  # the dbt view, built before the churn step
    assert dg.AssetKey(["marts", "fct_orders"]) in graph.get(clv).parent_keys
    assert clv in graph.get(dg.AssetKey(["marts", "customer_ltv"])).parent_keys


def test_every_declared_sync_is_an_asset_downstream_of_raw_and_ml(graph) -> None:
    syncs = load_syncs(DBT_PROJECT_DIR)
    assert syncs, "the project declares syncs"
    for sync in syncs:
        key = sync_key(sync.name)
        assert graph.get(key).group_name == "activation"
        assert dg.AssetKey(["audiences", sync.model]) in graph.get(key).parent_keys
        upstream = _upstream(graph, key)
        assert dg.AssetKey(["raw", "orders"]) in upstream
        assert dg.AssetKey(["marts", "dim_customers"]) in upstream
    ltv_readers = [
        s
        for s in syncs
        if dg.AssetKey(["ml", "clv_predictions"]) in _upstream(graph, sync_key(s.name))
    ]
    assert ltv_readers, "some audience reads the CLV predictions"


def test_dbt_tests_and_own_checks_are_attached(graph) -> None:
    specs = {spec.key: spec for assets_def in graph.assets_defs for spec in assets_def.check_specs}
    dim = dg.AssetKey(["marts", "dim_customers"])
    assert any(spec.blocking for key, spec in specs.items() if key.asset_key == dim)
    assert dg.AssetCheckKey(dg.AssetKey(["raw", "orders"]), "raw_orders_freshness") in specs
    for sync in load_syncs(DBT_PROJECT_DIR):
        audience = dg.AssetKey(["audiences", sync.model])
        assert not specs[dg.AssetCheckKey(audience, "size_change_vs_last_run")].blocking
        dbt_tests = [
            k for k in specs if k.asset_key == audience and k.name != "size_change_vs_last_run"
        ]
        assert dbt_tests, f"{sync.model} has dbt tests as checks"


def test_jobs_schedules_and_sensor(defs: dg.Definitions) -> None:
    for name in ("build", "full_refresh", "ingest_and_build", "full_pipeline"):
        assert defs.resolve_job_def(name).name == name
    assert defs.resolve_schedule_def("daily_full_refresh").cron_schedule == "0 5 * * *"
    hourly = defs.resolve_schedule_def("hourly_triggered_syncs_schedule")
    assert hourly.cron_schedule == "15 * * * *"
    assert defs.resolve_sensor_def("raw_drop_sensor").job_name == "ingest_and_build"
    build_keys = defs.resolve_job_def("build").asset_layer.selected_asset_keys
    assert not any(k.path[0] in ("raw", "activation") for k in build_keys)
    assert dg.AssetKey(["ml", "churn_scores"]) in build_keys
