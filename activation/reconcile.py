"""Reconciliation: re-send a whole audience (`--full-resync`) and read the target back for drift.

The engine only sends changes against the state it confirmed, so members lost at the provider
(an emptied or replaced account, a list deleted by hand) are never noticed by the diff. After
each sync, destinations that can list their target (`Destination.members`) are read back and
compared with what the state says the provider holds: contacts missing at the provider and, for
mirror syncs, contacts at the provider the sync never sent, land in `activation.sync_drift`.
`retention sync --full-resync` then plans every consented member as an add again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb

from activation import consent, state
from activation.destinations.base import Destination
from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig

log = logging.getLogger("activation.reconcile")

DDL = """
CREATE SCHEMA IF NOT EXISTS activation;
CREATE TABLE IF NOT EXISTS activation.sync_drift (
    run_id VARCHAR, sync_name VARCHAR, destination VARCHAR, target VARCHAR, contact VARCHAR,
    drift VARCHAR, observed_at TIMESTAMP
);
"""
MISSING = "missing_at_provider"
UNEXPECTED = "unexpected_at_provider"


@dataclass(frozen=True)
class Drift:
    """What a read-back found: members the provider lost, and members it has that we never sent."""

    missing: int
    unexpected: int


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create `activation.sync_drift` if missing."""
    con.execute(DDL)


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
    at_provider = destination.members() or set()
    rows = con.execute(
        "SELECT DISTINCT json_extract_string(payload, ?) FROM activation.sync_records "
        "WHERE sync_name = ? AND fields_hash IS NOT NULL AND payload IS NOT NULL",
        [f"$.identifiers.{key}", sync.name],
    ).fetchall()
    held = {c for (value,) in rows if (c := consent.normalise_contact(sync.channel, value))}
    missing = held - at_provider
    unexpected = at_provider - held if sync.mode == "mirror" else set()
    drift = [(c, MISSING) for c in sorted(missing)] + [(c, UNEXPECTED) for c in sorted(unexpected)]
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
        log.warning(
            "sync %s: %d members missing at %s '%s', %d unexpected there; "
            "run `retention sync %s --full-resync` to restore",
            sync.name,
            len(missing),
            sync.destination,
            sync.target,
            len(unexpected),
            sync.name,
        )
    return Drift(len(missing), len(unexpected))
