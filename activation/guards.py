"""Size guards: a sync whose audience suddenly balloons, starts too big or empties stops.

Every sync is guarded; the removal guard (engine) catches a mirror audience that collapses,
`withdrawal_guard` a mass unsubscribe planned by an upsert sync. The audience's size is judged
against its history in `activation.sync_runs.audience_size` (consented members this sync
targets; dry runs and blocked runs do not count):

- `growth_guard`: the baseline is the larger of the last non-empty run's size and the typical
  size (median of the last HISTORY_RUNS non-empty runs), so an empty run never resets it and a
  quiet day of a triggered audience does not make a normal one look like growth. A run may
  grow by `max_growth_share` of the baseline or `growth_floor` members, whichever is more.
  A sync with no non-empty run yet may start with at most `max_first_run_size` members.
- `empty_guard`: an audience that becomes empty where it typically held at least
  EMPTY_MIN_TYPICAL members is blocked until approved (a failed filter, not a quiet day).

Defaults are per channel (`GuardLimits`): SMS and WhatsApp syncs, where each new member can be
a message sent, are the strictest.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig

HISTORY_RUNS = 10  # the typical size is the median of this many recent non-empty runs
EMPTY_MIN_TYPICAL = 10  # an audience typically this big or bigger is never empty by chance
MESSAGE_CHANNELS = frozenset({"sms", "whatsapp"})


@dataclass(frozen=True)
class GuardLimits:
    """How much a sync's audience may grow in one run and how big its first run may be."""

    max_growth_share: float  # growth allowed per run, as a share of the baseline size
    growth_floor: int  # growth in members always allowed (small and triggered audiences)
    max_first_run_size: int | None  # largest first run without approval (None: any)


MESSAGE_LIMITS = GuardLimits(max_growth_share=1.0, growth_floor=25, max_first_run_size=1_000)
LIST_LIMITS = GuardLimits(max_growth_share=1.0, growth_floor=100, max_first_run_size=None)


def guard_limits(sync: SyncConfig) -> GuardLimits:
    """The sync's limits: what it declares, else the defaults of its channel."""
    default = MESSAGE_LIMITS if sync.channel in MESSAGE_CHANNELS else LIST_LIMITS
    return GuardLimits(
        max_growth_share=(
            default.max_growth_share if sync.max_growth_share is None else sync.max_growth_share
        ),
        growth_floor=default.growth_floor if sync.growth_floor is None else sync.growth_floor,
        max_first_run_size=(
            default.max_first_run_size
            if sync.max_first_run_size is None
            else sync.max_first_run_size
        ),
    )


@dataclass(frozen=True)
class SizeHistory:
    """A sync's audience sizes in its earlier counted runs (latest first)."""

    latest: int | None  # the last counted run, empty or not (None: no run yet)
    non_empty: list[int]  # the last HISTORY_RUNS non-empty runs

    @property
    def typical(self) -> float | None:
        """Median of the recent non-empty runs (None: never non-empty)."""
        return statistics.median(self.non_empty) if self.non_empty else None

    @property
    def baseline(self) -> float | None:
        """The size growth is judged against: the last non-empty or the typical, if larger."""
        return max(self.non_empty[0], self.typical) if self.non_empty else None

    def describe(self) -> str:
        """E.g. `last non-empty run 7, typical 7; the last run was empty`."""
        text = f"last non-empty run {self.non_empty[0]:,}, typical {self.typical:,.0f}"
        return text + ("; the last run was empty" if self.latest == 0 else "")


def size_history(con: duckdb.DuckDBPyConnection, sync_name: str, run_id: str) -> SizeHistory:
    """The sizes of sync `sync_name`'s runs before `run_id` that count: not dry runs, not
    blocked (a resumed crash counts, so resuming is no growth)."""
    counted = (
        "FROM activation.sync_runs WHERE sync_name = ? AND run_id <> ? AND NOT dry_run "
        "AND status <> 'blocked' AND audience_size IS NOT NULL"
    )
    latest = con.execute(
        f"SELECT audience_size {counted} ORDER BY started_at DESC LIMIT 1", [sync_name, run_id]
    ).fetchone()
    sizes = con.execute(
        f"SELECT audience_size {counted} AND audience_size > 0 ORDER BY started_at DESC LIMIT ?",
        [sync_name, run_id, HISTORY_RUNS],
    ).fetchall()
    return SizeHistory(latest[0] if latest else None, [s for (s,) in sizes])


def _nothing_sent(sync: SyncConfig) -> str:
    return f"nothing was sent to {sync.destination} '{sync.target}'"


def growth_guard(
    con: duckdb.DuckDBPyConnection, sync: SyncConfig, plan: PlanSummary, run_id: str, approve: bool
) -> str | None:
    """Why run `run_id` is blocked: the consented audience grew beyond the sync's limits
    (`guard_limits`) over its baseline, or a first run is larger than `max_first_run_size`."""
    if approve:
        return None
    limits, size = guard_limits(sync), plan.audience_size
    history = size_history(con, sync.name, run_id)
    baseline = history.baseline
    if baseline is None and plan.currently_synced:  # held members from before sizes were kept
        baseline = plan.currently_synced
    approval = f"Check the model, then approve with `retention sync {sync.name} --approve-growth`"
    if baseline is None:
        cap = limits.max_first_run_size
        if cap is None or size <= cap:
            return None
        return (
            f"sync '{sync.name}': first {sync.channel} sync of audience {sync.model} would "
            f"reach {size:,} consented members, above max_first_run_size {cap:,}; "
            f"{_nothing_sent(sync)}. {approval}"
        )
    allowed = max(limits.max_growth_share * baseline, limits.growth_floor)
    if size - baseline <= allowed:
        return None
    seen = f"; {history.describe()}" if history.non_empty else ""
    return (
        f"sync '{sync.name}': audience {sync.model} grew from {baseline:,.0f} to {size:,} "
        f"consented members (+{(size - baseline) / baseline:.0%}{seen}), more than "
        f"max_growth_share {limits.max_growth_share:.0%} or growth_floor "
        f"{limits.growth_floor:,} members allow; {_nothing_sent(sync)}. {approval}"
    )


def empty_guard(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    plan: PlanSummary,
    run_id: str,
    approve: bool,
    approve_removals: bool = False,
) -> str | None:
    """Why run `run_id` is blocked: the audience became empty where the last run had members
    and it typically has at least EMPTY_MIN_TYPICAL (an approved empty run stays approved
    until the audience has members again). An upsert sync declaring `allow_empty` (a triggered
    audience, empty at quiet times) is never blocked: it removes nobody."""
    if approve or plan.audience_size > 0 or (sync.allow_empty and sync.mode == "upsert"):
        return None
    history = size_history(con, sync.name, run_id)
    typical = history.typical
    if not history.latest or typical is None or typical < EMPTY_MIN_TYPICAL:
        return None
    flags = "--approve-empty"
    if sync.mode == "mirror" and plan.removes and not approve_removals:
        flags += " --approve-removals"  # emptying a mirror list removes its members
    return (
        f"sync '{sync.name}': audience {sync.model} is empty (0 consented members; last run "
        f"{history.latest:,}, typical {typical:,.0f}); {_nothing_sent(sync)}. Check the model "
        f"and its upstream tables, then approve with `retention sync {sync.name} {flags}`"
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
