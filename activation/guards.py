"""Growth and withdrawal guards: a sync that would change far more members than usual stops.

The removal guard (engine) catches a mirror audience that collapses; `growth_guard` catches an
audience that balloons, e.g. built from a half-failed build or a wrong filter, and
`withdrawal_guard` a mass unsubscribe planned by an upsert sync (mirror syncs count
withdrawals as removals), before anything reaches the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig


def growth_guard(sync: SyncConfig, plan: PlanSummary, approve: bool) -> str | None:
    """Why the planned adds are blocked (more than `max_growth_share` of the held members)."""
    if approve or plan.adds == 0 or plan.currently_synced == 0:
        return None
    share = plan.adds / plan.currently_synced
    if share <= sync.max_growth_share:
        return None
    return (
        f"sync '{sync.name}' would add {plan.adds} members to the {plan.currently_synced} "
        f"held at {sync.destination} target '{sync.target}' (+{share:.0%}), above "
        f"max_growth_share {sync.max_growth_share:.0%}; nothing was sent. Check the audience "
        f"model {sync.model}, then approve with `retention sync {sync.name} --approve-growth`"
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
