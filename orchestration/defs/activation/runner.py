"""`retention sync` runs the Dagster sync assets: one way to sync, from the CLI or the graph.

The CLI materializes the same sync assets (`build_sync_asset`) with the same resources and run
config a Dagster run of the graph uses, on the project's Dagster instance, so a CLI sync shows
up in the UI and passes every check the asset applies (`run_sync`: the build gate, growth and
removal guards, consent). What each sync did is then read back from `activation.sync_runs`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from activation import state
from activation.config import SyncConfig
from activation.engine import SyncResult
from activation.tables import ensure_tables
from orchestration.defs.activation.assets import SyncRunConfig, build_sync_assets, sync_op_name
from orchestration.defs.activation.resources import destination_resource, destination_resource_key
from orchestration.defs.warehouse_resource import WarehouseResource
from orchestration.runs import owner_tags
from retention.core import lock as warehouse_lock

AUDIENCE_SCHEMA = "audiences"


def _results(db: Path, syncs: Sequence[SyncConfig], since: dt.datetime) -> list[SyncResult]:
    """The sync_runs rows the run wrote, as SyncResults in the order of `syncs`."""
    with warehouse_lock.connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT sync_name, run_id, status, added, updated, removed, failed, "
            "skipped_no_consent, skipped_suppressed, write_requests, message, dry_run, "
            "epoch(finished_at - started_at), "
            "(SELECT count(*) FILTER (drift = 'missing_at_provider') FROM activation.sync_drift d "
            " WHERE d.run_id = r.run_id), "
            "(SELECT count(*) FILTER (drift = 'unexpected_at_provider') "
            " FROM activation.sync_drift d WHERE d.run_id = r.run_id) "
            "FROM activation.sync_runs r WHERE started_at >= ? "
            "QUALIFY row_number() OVER (PARTITION BY sync_name ORDER BY started_at DESC) = 1",
            [since],
        ).fetchall()
    found = {}
    for row in rows:
        name, run_id, status, *counts, message, dry_run, seconds, missing, unexpected = row
        found[name] = SyncResult(
            name,
            status,
            added=int(counts[0] or 0),
            updated=int(counts[1] or 0),
            removed=int(counts[2] or 0),
            failed=int(counts[3] or 0),
            skipped_no_consent=int(counts[4] or 0),
            skipped_suppressed=int(counts[5] or 0),
            write_requests=int(counts[6] or 0),
            drift_missing=int(missing or 0),
            drift_unexpected=int(unexpected or 0),
            duration_s=float(seconds or 0.0),
            errors=message.split("; ") if message else [],
            run_id=run_id,
            dry_run=bool(dry_run),
        )
    return [
        found.get(s.name)
        or SyncResult(s.name, "failed", errors=["the sync asset did not run; see the Dagster run"])
        for s in syncs
    ]


def run_sync_assets(
    syncs: Sequence[SyncConfig],
    *,
    db_path: Path,
    instance: dg.DagsterInstance,
    config: SyncRunConfig,
) -> tuple[list[SyncResult], dg.ExecuteInProcessResult]:
    """Materialize the sync assets of `syncs` in one in-process Dagster run.

    Each sync asset depends on its audience model's asset (`audiences/<model>`), which is not
    rebuilt here. Returns one SyncResult per sync and the Dagster result (for step failures).
    """
    assets = build_sync_assets(
        syncs, {s.model: dg.AssetKey([AUDIENCE_SCHEMA, s.model]) for s in syncs}, set()
    )
    resources = {
        "warehouse": WarehouseResource(duckdb_path=str(db_path)),
        **{
            destination_resource_key(name): destination_resource(name)
            for name in sorted({s.destination for s in syncs})
        },
    }
    run_config = {
        "ops": {sync_op_name(s.name): {"config": config.model_dump()} for s in syncs},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    with warehouse_lock.connect(db_path) as con:
        ensure_tables(con)
    since = state.now()
    result = dg.materialize(
        assets,
        resources=resources,
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        tags={"retention/trigger": "cli", **owner_tags()},
    )
    return _results(db_path, syncs, since), result
