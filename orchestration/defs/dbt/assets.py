"""Every dbt model, seed and test as one subsettable asset definition.

ML assets sit between dbt models (marts -> churn/CLV -> customer_ltv, audiences). Dagster splits
this subsettable definition into one step before and one after the ML steps in a run, so each
step runs `dbt build` on its own selection.
"""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.dbt.engine import copy_raw_tables, engine_warehouse
from orchestration.defs.dbt.failures import dbt_failure_message, failing_rows
from orchestration.defs.dbt.metadata import table_metadata
from orchestration.defs.dbt.preflight import require_orders
from orchestration.defs.dbt.project import load_dbt_project
from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.dbt.translator import RetentionDbtTranslator
from orchestration.defs.ingest.assets import RAW_SCHEMA
from orchestration.defs.warehouse_resource import WAREHOUSE_POOL, WarehouseResource
from retention.core.warehouse.base import read_table

DBT_ASSETS_NAME = "dbt_models"


def build_dbt_assets(project: DbtProject, manifest: dict[str, Any]) -> dg.AssetsDefinition:
    """The `@dbt_assets` definition for `project` (keys and groups from the translator)."""
    nodes = manifest["nodes"]

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=RetentionDbtTranslator(),
        name=DBT_ASSETS_NAME,
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        build_options: BuildOptions,
    ) -> Iterator[Any]:
        with warehouse.write_lock():
            target = build_options.dbt_target
            if _reads_raw(context):
                require_orders(warehouse, build_options.as_of_date)
                copied = copy_raw_tables(warehouse, target)
                if copied:
                    context.log.info(f"copied raw tables into {target}: {', '.join(copied)}")
            # tests run once every model they read is selected: Dagster splits the dbt graph
            # into steps around the ML assets, and a test joining a seed to a mart must wait
            # for the step that builds the mart. dbt unit tests check SQL logic on fixed
            # inputs, not the data: as dbt recommends, they run in development and CI
            # (`make test`; `dbt test --select test_type:unit`), not in every production build.
            args = [
                "build", "--indirect-selection", "buildable",
                "--exclude-resource-type", "unit_test",
            ]  # fmt: skip
            invocation = dbt.cli(
                [*args, *build_options.dbt_args(warehouse.path)],
                context=context,
                raise_on_error=False,
                target_path=build_options.dbt_target_path(project.project_dir, warehouse.path),
            )
            events = list(invocation.stream())
            with engine_warehouse(warehouse, target) as engine:
                for event in events:
                    if isinstance(event, dg.Output):
                        key = context.asset_key_for_output(event.output_name)
                        node = nodes[event.metadata["unique_id"].value]
                        event = event.with_metadata(
                            {**event.metadata, **table_metadata(engine, key, node)}
                        )
                    yield event
            failure = None
            if invocation.get_error() is not None:
                run_results = invocation.get_artifact("run_results.json")
                with engine_warehouse(warehouse, target) as engine:
                    rows = failing_rows(
                        run_results, lambda sql: read_table(engine, sql).to_pylist()
                    )
                failure = dbt_failure_message(run_results, nodes, rows)
        if failure is not None:
            raise dg.Failure(description=failure)

    return dbt_models


def _reads_raw(context: dg.AssetExecutionContext) -> bool:
    """Whether this step builds a model that reads a raw table (the staging models)."""
    deps = context.assets_def.asset_deps
    return any(
        upstream.path[0] == RAW_SCHEMA
        for key in context.selected_asset_keys
        for upstream in deps.get(key, ())
    )


dbt_project = load_dbt_project()
dbt_manifest: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text())
retention_dbt_assets = build_dbt_assets(dbt_project, dbt_manifest)
