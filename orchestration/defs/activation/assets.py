"""Sync assets, generated from the syncs declared in `models/audiences/*.yml`.

Each sync asset depends on its audience model's asset, so a failing blocking check on the
audience (or upstream, e.g. dim_customers) skips the sync in that run.
"""

import re
from collections.abc import Mapping, Sequence
from contextlib import nullcontext

import dagster as dg
from pydantic import Field

from activation import build_gate
from activation.config import SyncConfig
from activation.declarations import BrokenSync
from orchestration.defs.activation.resources import destination_resource_key
from orchestration.defs.errors import one_line_failure
from orchestration.defs.metadata import report_link
from orchestration.defs.warehouse_resource import WAREHOUSE_POOL
from retention.core.settings import DBT_PROJECT_DIR

ACTIVATION_GROUP = "activation"
TRIGGERED_TAG = "triggered"


class SyncRunConfig(dg.Config):
    """Per-run options of one sync."""

    dry_run: bool = Field(default=False, description="Plan the diff; send nothing.")
    approve_removals: bool = Field(
        default=False, description="Allow removing more than the sync's max_removal_share."
    )
    approve_growth: bool = Field(
        default=False,
        description="Allow growth beyond the sync's size guards (max_growth_share, "
        "growth_floor, max_first_run_size).",
    )
    approve_empty: bool = Field(
        default=False, description="Allow a run whose audience became empty."
    )
    full_resync: bool = Field(
        default=False, description="Ignore the synced state and re-send every member."
    )


def sync_key(sync_name: str) -> dg.AssetKey:
    """The asset key of sync `sync_name`."""
    return dg.AssetKey([ACTIVATION_GROUP, sync_name])


def sync_op_name(sync_name: str) -> str:
    """The op (step) name of sync `sync_name`, used to pass it run config."""
    return sync_key(sync_name).to_python_identifier()


def project_relative(text: str) -> str:
    """`text` with the dbt project's absolute folder written as `dbt_project/`."""
    return text.replace(f"{DBT_PROJECT_DIR}/", f"{DBT_PROJECT_DIR.name}/")


def build_sync_asset(
    sync: SyncConfig,
    audience_key: dg.AssetKey,
    *,
    triggered: bool,
    owners: Sequence[str] = (),
) -> dg.AssetsDefinition:
    """The asset that pushes `sync.model` to `sync.destination` with the sync engine."""
    resource_key = destination_resource_key(sync.destination)

    @dg.asset(
        key=sync_key(sync.name),
        deps=[audience_key],
        group_name=ACTIVATION_GROUP,
        kinds={sync.destination},
        tags={TRIGGERED_TAG: ""} if triggered else None,
        owners=list(owners),
        description=f"{sync.mode} {sync.model} into {sync.destination} '{sync.target}' "
        f"({sync.channel}); declared in {project_relative(sync.source_file)}.",
        metadata={
            "destination": sync.destination,
            "target": sync.target,
            "mode": sync.mode,
            "channel": sync.channel,
        },
        required_resource_keys={"warehouse", resource_key},
        pool=WAREHOUSE_POOL,
    )
    def _sync(context: dg.AssetExecutionContext, config: SyncRunConfig) -> dg.MaterializeResult:
        from activation.engine import run_sync

        destination = getattr(context.resources, resource_key)
        latest = context.instance.get_latest_materialization_event(audience_key)
        built_here = latest is not None and latest.run_id == context.run_id
        gate = build_gate.within_build(context.run_id) if built_here else nullcontext()
        with one_line_failure(), gate, context.resources.warehouse.write() as con:
            result = run_sync(
                con,
                sync,
                dry_run=config.dry_run,
                approve_removals=config.approve_removals,
                approve_growth=config.approve_growth,
                approve_empty=config.approve_empty,
                full_resync=config.full_resync,
                connection=destination.connection(),
            )
        metadata = {
            **result.counts(),
            "dry_run": result.dry_run,
            "sync_run_id": result.run_id,
            **report_link(),
        }
        if not result.ok:
            raise dg.Failure(
                description=f"sync {sync.name} {result.status}: " + "; ".join(result.errors),
                metadata=metadata,
            )
        if result.failed:
            context.log.warning(f"sync {sync.name}: {result.failed} rows failed")
        return dg.MaterializeResult(metadata=metadata)

    return _sync


def build_sync_assets(
    syncs: Sequence[SyncConfig],
    audience_keys: dict[str, dg.AssetKey],
    triggered_models: set[str],
    owners: Mapping[str, Sequence[str]] | None = None,
) -> list[dg.AssetsDefinition]:
    """One sync asset per declared sync (`audience_keys`: audience model name -> asset key;
    `owners`: sync name -> owners of its exposure)."""
    return [
        build_sync_asset(
            sync,
            audience_keys[sync.model],
            triggered=sync.model in triggered_models,
            owners=(owners or {}).get(sync.name, ()),
        )
        for sync in syncs
    ]


def broken_sync_keys(broken: Sequence[BrokenSync], taken: set[str]) -> list[dg.AssetKey]:
    """An asset key per broken sync: its name made a valid key, unique among `taken` names."""
    keys = []
    used = set(taken)
    for item in broken:
        name = re.sub(r"[^a-z0-9_]", "_", item.name.lower()).strip("_") or "unnamed"
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name}_invalid{n if n > 2 else ''}"
        used.add(candidate)
        keys.append(sync_key(candidate))
    return keys


def build_broken_sync_asset(
    broken: BrokenSync, key: dg.AssetKey, audience_key: dg.AssetKey | None
) -> dg.AssetsDefinition:
    """An asset standing for a sync whose declaration is invalid: it fails with the one-line
    error, so the mistake shows on this sync only and every other sync keeps working."""
    error = project_relative(broken.error)

    @dg.asset(
        key=key,
        deps=[audience_key] if audience_key is not None else [],
        group_name=ACTIVATION_GROUP,
        description=f"INVALID sync declaration in {project_relative(broken.source_file)}: {error}",
        metadata={"error": error},
    )
    def _invalid_sync() -> dg.MaterializeResult:
        raise dg.Failure(description=error)

    return _invalid_sync
