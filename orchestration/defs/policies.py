"""Who owns each asset group and how fresh it must be: the one place to set both.

`apply_policies` runs over every asset spec of the code location (`orchestration.definitions`):
- owners: the owners a spec declares (e.g. from a dbt exposure's `owner.email`) are kept when
  they are real; documentation addresses (`@example.com`, reserved by RFC 2606, as in the
  scaffolded audience ymls) are not, and a spec left with none gets its group's team.
- freshness: marts and audiences must be rebuilt by the daily full refresh (05:00 UTC) before
  `DAILY_DEADLINE_CRON`; triggered audiences, rebuilt every hour, within `TRIGGERED_FAIL_WINDOW`.
  Dagster shows the state on each asset (instance setting `freshness: enabled`).
Rename the teams here (Dagster owners are emails or `team:<name>`).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

DATA_TEAM = "team:data"
MARKETING_TEAM = "team:marketing"
GROUP_OWNERS: dict[str, list[str]] = {
    "raw": [DATA_TEAM],
    "seeds": [DATA_TEAM],
    "staging": [DATA_TEAM],
    "intermediate": [DATA_TEAM],
    "marts": [DATA_TEAM],
    "ml": [DATA_TEAM],
    "audiences": [MARKETING_TEAM],
    "activation": [MARKETING_TEAM],
}
PLACEHOLDER_DOMAINS = ("@example.com", "@example.org", "@example.net")

# the daily full refresh starts at 05:00 UTC (orchestration/defs/dbt/schedules.py)
DAILY_DEADLINE_CRON = "0 7 * * *"
DAILY_LOWER_BOUND = timedelta(hours=2)
TRIGGERED_FAIL_WINDOW = timedelta(hours=2)
TRIGGERED_WARN_WINDOW = timedelta(minutes=75)
FRESH_GROUPS = {"marts", "audiences"}
TRIGGERED_TAG = "triggered"  # dbt tag of audiences rebuilt by the hourly job


def owners_for(spec: dg.AssetSpec) -> list[str]:
    """The spec's real owners, else its group's team (`DATA_TEAM` for unknown groups)."""
    real = [owner for owner in spec.owners if not owner.lower().endswith(PLACEHOLDER_DOMAINS)]
    return real or GROUP_OWNERS.get(spec.group_name or "", [DATA_TEAM])


def freshness_for(spec: dg.AssetSpec) -> dg.FreshnessPolicy | None:
    """The freshness policy of a mart or audience (None for other groups)."""
    if spec.group_name not in FRESH_GROUPS:
        return None
    if TRIGGERED_TAG in spec.tags:
        return dg.FreshnessPolicy.time_window(
            fail_window=TRIGGERED_FAIL_WINDOW, warn_window=TRIGGERED_WARN_WINDOW
        )
    return dg.FreshnessPolicy.cron(
        deadline_cron=DAILY_DEADLINE_CRON, lower_bound_delta=DAILY_LOWER_BOUND
    )


def apply_policies(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec` with its owners and freshness policy set as described above."""
    freshness = freshness_for(spec)
    if freshness is None:
        return spec.replace_attributes(owners=owners_for(spec))
    return spec.replace_attributes(owners=owners_for(spec), freshness_policy=freshness)
