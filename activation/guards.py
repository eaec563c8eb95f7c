"""Growth and withdrawal guards: a sync that would change far more members than usual stops.

The removal guard (engine) catches a mirror audience that collapses; `growth_guard` catches an
audience that balloons, e.g. built from a half-failed build or a wrong filter, and
`withdrawal_guard` a mass unsubscribe planned by an upsert sync (mirror syncs count
withdrawals as removals), before anything reaches the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from activation import state
from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig


MIRROR_GROWTH_SHARE = 1.0  # mirror syncs without max_growth_share: at most double per run
DDL = """
CREATE SCHEMA IF NOT EXISTS activation;
CREATE TABLE IF NOT EXISTS activation.sync_audience_sizes (
    sync_name VARCHAR, run_id VARCHAR, audience_size BIGINT, recorded_at TIMESTAMP
);
"""


def max_growth_share(sync: SyncConfig) -> float | None:
    """The sync's growth limit: declared, else MIRROR_GROWTH_SHARE for mirrors, else none."""
    if sync.max_growth_share is not None:
        return sync.max_growth_share
    return MIRROR_GROWTH_SHARE if sync.mode == "mirror" else None


def _consented(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM _aud WHERE has_consent").fetchone()[0]


def growth_guard(con: duckdb.DuckDBPyConnection, sync: SyncConfig, approve: bool) -> str | None:
    """Why this run is blocked: the consented audience (staged in `_aud`) grew more than the
    sync's max_growth_share since the last run that sent (resuming a crashed run is no growth).
    """
    limit = max_growth_share(sync)
    if approve or limit is None:
        return None
    con.execute(DDL)
    row = con.execute(
        "SELECT audience_size FROM activation.sync_audience_sizes WHERE sync_name = ? "
        "ORDER BY recorded_at DESC LIMIT 1",
        [sync.name],
    ).fetchone()
    previous, size = (row[0] if row else 0), _consented(con)
    if previous == 0 or (size - previous) / previous <= limit:
        return None
    return (
        f"sync '{sync.name}': audience {sync.model} grew from {previous} to {size} consented "
        f"members since the last sync (+{(size - previous) / previous:.0%}), above "
        f"max_growth_share {limit:.0%}; nothing was sent to {sync.destination} '{sync.target}'. "
        f"Check the model, then approve with `retention sync {sync.name} --approve-growth`"
    )


def record_audience_size(con: duckdb.DuckDBPyConnection, sync: SyncConfig, run_id: str) -> None:
    """Remember the consented audience size of run `run_id`, which is about to send."""
    con.execute(DDL)
    con.execute(
        "INSERT INTO activation.sync_audience_sizes VALUES (?, ?, ?, ?)",
        [sync.name, run_id, _consented(con), state.now()],
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
