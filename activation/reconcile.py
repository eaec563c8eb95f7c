"""Reconciliation: re-send a whole audience (`--full-resync`) and read the target back for drift.

The engine only sends changes against the state it confirmed, so members lost at the provider
(an emptied or replaced account, a list deleted by hand) are never noticed by the diff. After
each sync, destinations that can list their target (`Destination.members`) are read back and
compared with what the state says the provider holds: contacts missing at the provider and, for
mirror syncs, contacts at the provider the sync never sent, land in `activation.sync_drift`.
Members the provider holds as unsubscribed/suppressed/cleaned (`activation.provider_consent`,
read back before planning) are `unsubscribed_at_provider`, never missing: a read that omits them
(Mailchimp segments) or keeps them (Klaviyo lists) says nothing about loss, and no resync re-adds
them. Targets above `FULL_READ_MAX` members are checked by a random sample of `SAMPLE` members
where the destination can look members up (`Destination.members_among`), so an unchanged run
does not read a whole large list. `retention sync --full-resync` then plans every consented
member as an add again (the batch screen keeps provider opt-outs out).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb

from activation import consent, state
from activation.destinations.base import Destination
from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig

log = logging.getLogger("activation.reconcile")

MISSING = "missing_at_provider"
UNEXPECTED = "unexpected_at_provider"
UNSUBSCRIBED = "unsubscribed_at_provider"
FULL_READ_MAX = 5_000  # members read in full after a sync; larger targets are sampled
SAMPLE = 2_000


@dataclass(frozen=True)
class Drift:
    """What a read-back found: members the provider lost, and members it has that we never sent."""

    missing: int
    unexpected: int
    unsubscribed: int = 0  # members the provider holds as unsubscribed (not lost, not re-added)


def plan_full_resync(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: type[Destination],
    plan: PlanSummary,
) -> PlanSummary:
    """Replan every consented audience member as an add, ignoring what was confirmed before.

    Removals stay as planned. Message sends (`send_once`) are never re-sent: their plan is kept.
    """
    if destination.send_once:
        log.warning("sync %s: full resync skipped, messages are never sent twice", sync.name)
        return plan
    con.execute("DELETE FROM _plan WHERE op <> 'remove'")
    con.execute(
        "INSERT INTO _plan SELECT record_key, 'add', 'full_resync', payload, payload_hash "
        "FROM _aud WHERE has_consent AND record_key NOT IN (SELECT record_key FROM _plan)"
    )
    adds = con.execute("SELECT count(*) FROM _plan WHERE op = 'add'").fetchone()[0]
    return replace(plan, adds=adds, updates=0)


def check_drift(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: Destination,
    run_id: str,
) -> Drift | None:
    """Read the target back and record drift against the confirmed state; None if unlistable."""
    key = consent.contact_identifier(sync, type(destination))
    if type(destination).members is Destination.members or key is None:
        return None
    destination.prepare()
    rows = con.execute(
        "SELECT DISTINCT json_extract_string(payload, ?) FROM activation.sync_records "
        "WHERE sync_name = ? AND fields_hash IS NOT NULL AND payload IS NOT NULL",
        [f"$.identifiers.{key}", sync.name],
    ).fetchall()
    contacts = {c for (value,) in rows if (c := consent.normalise_contact(sync.channel, value))}
    held = contacts - consent.blocked_contacts(con, sync)
    sampled = None
    if len(held) > FULL_READ_MAX:
        sample = random.sample(sorted(held), SAMPLE)
        if (found := destination.members_among(sample)) is not None:
            sampled, held = found, set(sample)
    at_provider = sampled if sampled is not None else destination.members() or set()
    if held - at_provider:  # opted out during this run? read again before calling it missing
        consent.reread(con, sync, destination)
    blocked = consent.blocked_contacts(con, sync)
    unsubscribed = contacts & blocked
    held -= unsubscribed
    missing = held - at_provider
    unexpected = set()
    if sampled is None and sync.mode == "mirror":  # opted-out people there get nothing anyway
        unexpected = at_provider - held - blocked
    drift = (
        [(c, MISSING) for c in sorted(missing)]
        + [(c, UNEXPECTED) for c in sorted(unexpected)]
        + [(c, UNSUBSCRIBED) for c in sorted(unsubscribed)]
    )
    if drift:
        con.execute(
            "INSERT INTO activation.sync_drift SELECT $run, $sync, $destination, $target, "
            "unnest($contact), unnest($drift), $now",
            {
                "run": run_id,
                "sync": sync.name,
                "destination": sync.destination,
                "target": sync.target,
                "contact": [c for c, _ in drift],
                "drift": [d for _, d in drift],
                "now": state.now(),
            },
        )
    if missing:
        log.warning(
            "sync %s: %d members missing at %s '%s'%s; run `retention sync %s --full-resync` "
            "to restore them",
            sync.name,
            len(missing),
            sync.destination,
            sync.target,
            f" (in a sample of {len(held)})" if sampled is not None else "",
            sync.name,
        )
    if unexpected:
        log.warning(
            "sync %s: %d members of %s '%s' were never sent by this mirror sync; check who else "
            "writes to that target",
            sync.name,
            len(unexpected),
            sync.destination,
            sync.target,
        )
    if unsubscribed:
        log.info(
            "sync %s: %d members unsubscribed at %s; they stay off '%s' (never re-added)",
            sync.name,
            len(unsubscribed),
            sync.destination,
            sync.target,
        )
    return Drift(len(missing), len(unexpected), len(unsubscribed))
