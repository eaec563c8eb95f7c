"""The raw freshness check measures at the build's as-of date, so a sample store is fresh."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.dbt.schedules import daily_full_refresh
from orchestration.defs.ingest.checks import FRESHNESS_CHECK_OP, raw_orders_freshness
from orchestration.defs.warehouse_resource import WarehouseResource


def _evaluate(warehouse: Path, as_of: str | None = None, **config) -> dg.AssetCheckResult:
    with dg.DagsterInstance.ephemeral() as instance:  # held until the run is read back
        result = dg.materialize(
            [raw_orders_freshness],
            resources={
                "warehouse": WarehouseResource(duckdb_path=str(warehouse)),
                "build_options": BuildOptions(as_of_date=as_of),
            },
            run_config={"ops": {FRESHNESS_CHECK_OP: {"config": config}}},
            selection=dg.AssetSelection.checks(raw_orders_freshness),
            instance=instance,
        )
        (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_sample_store_is_fresh_relative_to_its_own_as_of(warehouse: Path) -> None:
    evaluation = _evaluate(warehouse)
    assert evaluation.passed, evaluation.description
    assert "as of" in evaluation.description


def test_an_as_of_months_after_the_last_order_is_stale(warehouse: Path) -> None:
    evaluation = _evaluate(warehouse, as_of="2099-01-01")
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "as of 2099-01-01" in evaluation.description


def test_daily_schedule_measures_on_the_wall_clock(warehouse: Path) -> None:
    evaluation = _evaluate(warehouse, reference="now")
    assert not evaluation.passed, evaluation.description  # the sample store ends in the past
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance)
        (request,) = daily_full_refresh.evaluate_tick(context).run_requests
    assert request.run_config["ops"][FRESHNESS_CHECK_OP]["config"] == {"reference": "now"}
