"""Growth guard: a sync that would add far more members than it holds stops and asks first.

The removal guard (engine) catches an audience that collapses; this one catches an audience
that balloons, e.g. built from a half-failed build or a wrong filter, before it reaches people.
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
