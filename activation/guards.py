"""Growth and withdrawal guards: a sync that would change far more members than usual stops.

The removal guard (engine) catches a mirror audience that collapses; `growth_guard` catches an
audience that balloons, e.g. built from a half-failed build or a wrong filter, and
`withdrawal_guard` a mass unsubscribe planned by an upsert sync (mirror syncs count
withdrawals as removals), before anything reaches the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig


MIRROR_GROWTH_SHARE = 1.0  # mirror syncs without max_growth_share: at most double per run


def max_growth_share(sync: SyncConfig) -> float | None:
    """The sync's growth limit: declared, else MIRROR_GROWTH_SHARE for mirrors, else none."""
    if sync.max_growth_share is not None:
        return sync.max_growth_share
    return MIRROR_GROWTH_SHARE if sync.mode == "mirror" else None


def growth_guard(
    con: duckdb.DuckDBPyConnection, sync: SyncConfig, plan: PlanSummary, run_id: str, approve: bool
) -> str | None:
    """Why run `run_id` is blocked: the consented audience grew more than the sync's
    max_growth_share since the last run that sent (its `sync_runs.audience_size`; resuming a
    crashed run is no growth, dry runs and blocked runs do not count).
    """
    limit = max_growth_share(sync)
    if approve or limit is None:
        return None
    row = con.execute(
        "SELECT audience_size FROM activation.sync_runs WHERE sync_name = ? AND run_id <> ? "
        "AND NOT dry_run AND status <> 'blocked' AND audience_size IS NOT NULL "
        "ORDER BY started_at DESC LIMIT 1",
        [sync.name, run_id],
    ).fetchone()
    previous, size = (row[0] if row else 0), plan.audience_size
    if previous == 0 or (size - previous) / previous <= limit:
        return None
    return (
        f"sync '{sync.name}': audience {sync.model} grew from {previous} to {size} consented "
        f"members since the last sync (+{(size - previous) / previous:.0%}), above "
        f"max_growth_share {limit:.0%}; nothing was sent to {sync.destination} '{sync.target}'. "
        f"Check the model, then approve with `retention sync {sync.name} --approve-growth`"
    )


def withdrawal_guard(sync: SyncConfig, plan: PlanSummary, approve: bool) -> str | None:
    """Why the planned unsubscribes of an upsert sync are blocked (beyond max_removal_share)."""
    if sync.mode == "mirror" or approve or plan.removes == 0 or plan.currently_synced == 0:
        return None
    share = plan.removes / plan.currently_synced
    if share <= sync.max_removal_share:
        return None
    return (
        f"sync '{sync.name}' would unsubscribe {plan.removes} of {plan.currently_synced} "
        f"members ({share:.0%}) at {sync.destination} because their consent was withdrawn, "
        f"above max_removal_share {sync.max_removal_share:.0%}; nothing was sent. Check "
        f"marts.consent_ledger, then approve with `retention sync {sync.name} --approve-removals`"
    )
