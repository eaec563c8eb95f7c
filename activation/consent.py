"""Consent during a sync: opt-outs read back from the provider, and what providers told us.

Before planning, every sync reads back what changed at its provider since the last read
(`read_back`: `Destination.consent_changes` from a stored per-destination watermark, minus an
overlap for clock skew, into `activation.provider_consent`) and looks up the people new to that
provider (`Destination.lookup_consent`). Before each batch the destination screens the batch
against what it knows (`Destination.blocked`, which may read changes since its last read);
people unsubscribed or suppressed there are marked `suppressed` and not sent. Writes themselves
never override a provider status (each destination uses its vendor's non-overriding calls), and
statuses the provider reports while writing (`Destination.observed`) are settled after the
batch: blocked rows stay unconfirmed.
Every status read back is kept in `activation.provider_consent`, which dbt reads as a source
for `marts.consent_ledger`; contacts the ledger holds as unsubscribed are never sent to and,
where the destination can unsubscribe on the sync's channel, unsubscribed there
(`plan_withdrawals`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from activation import state
from activation.destinations.base import BLOCKING_STATUSES, Destination, Record
from activation.diff import PlanSummary

if TYPE_CHECKING:
    from activation.config import SyncConfig

OVERLAP = timedelta(minutes=5)  # re-read this much before the watermark (clock skew, slow writes)

EMAIL_KEYS = ("email", "email_address")
PHONE_KEYS = ("phone", "phone_number")


def contact_identifier(sync: SyncConfig, destination: type[Destination]) -> str | None:
    """The identifier key holding the sync channel's contact (email or phone), if mapped."""
    key = destination.channel_identifier.get(sync.channel)
    if key:
        return key
    candidates = EMAIL_KEYS if sync.channel == "email" else PHONE_KEYS
    return next((k for k in candidates if k in sync.identifiers), None)


LEDGER = "marts.consent_ledger"


def _ledger_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'marts' AND table_name = 'consent_ledger'"
        ).fetchone()[0]
    )


def plan_withdrawals(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: type[Destination],
    plan: PlanSummary,
) -> PlanSummary:
    """Turn consent withdrawn in `marts.consent_ledger` into unsubscribes in `_plan`.

    Contacts the ledger holds as unsubscribed on the sync's channel are never added or updated;
    when the destination can unsubscribe on that channel, every record this sync delivered to
    such a contact is planned as a removal with reason `consent_withdrawn` (in upsert mode too),
    so the destination unsubscribes it instead of only taking it off the list.
    """
    key = contact_identifier(sync, destination)
    if key is None or not _ledger_exists(con):
        return plan
    contact = "trim(json_extract_string(payload, $path))"
    if sync.channel == "email":
        contact = f"lower({contact})"
    withdrawn = f"{contact} IN (SELECT contact FROM _withdrawn)"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _withdrawn AS SELECT contact FROM {LEDGER} "
        "WHERE channel = ? AND consent_status = 'unsubscribed'",
        [sync.channel],
    )
    path = {"path": f"$.identifiers.{key}"}
    con.execute(f"DELETE FROM _plan WHERE op <> 'remove' AND {withdrawn}", path)
    if sync.channel in destination.unsubscribe_channels:
        con.execute(
            f"UPDATE _plan SET reason = 'consent_withdrawn' WHERE op = 'remove' AND {withdrawn}",
            path,
        )
        con.execute(
            "INSERT INTO _plan SELECT record_key, 'remove', 'consent_withdrawn', "
            "CAST(payload AS VARCHAR), NULL FROM activation.sync_records "
            "WHERE sync_name = $name AND fields_hash IS NOT NULL "
            f"AND record_key NOT IN (SELECT record_key FROM _plan) AND {withdrawn}",
            {**path, "name": sync.name},
        )
    adds, updates, removes = con.execute(
        "SELECT count(*) FILTER (op = 'add'), count(*) FILTER (op = 'update'), "
        "count(*) FILTER (op = 'remove') FROM _plan"
    ).fetchone()
    return replace(plan, adds=adds, updates=updates, removes=removes)


def normalise_contact(channel: str, value: object) -> str | None:
    """The ledger's contact key: trimmed lower-case email, or the E.164 phone as given."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    return text.lower() if channel == "email" else text


def record_observed(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: Destination,
    records: list[Record],
) -> None:
    """Store the provider statuses read back this run for `records` (latest wins)."""
    key = contact_identifier(sync, type(destination))
    if key is None:
        return
    rows = {}
    for record in records:
        status = destination.observed.get(record.key)
        contact = normalise_contact(sync.channel, record.identifiers.get(key))
        if status and contact:
            rows[contact] = status
    record_contacts(con, sync, rows)


def record_contacts(
    con: duckdb.DuckDBPyConnection, sync: SyncConfig, statuses: dict[str, str]
) -> None:
    """Store provider statuses by normalised contact for the sync's destination and channel."""
    if not statuses:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _observed AS SELECT unnest($contact) AS contact, "
        "unnest($status) AS provider_status",
        {"contact": list(statuses), "status": list(statuses.values())},
    )
    # delete + insert, not ON CONFLICT: dbt may have created the table first, without a key
    where = "destination = $destination AND channel = $channel"
    params = {"destination": sync.destination, "channel": sync.channel}
    con.execute("BEGIN")
    try:
        con.execute(
            f"DELETE FROM activation.provider_consent WHERE {where} "
            "AND contact IN (SELECT contact FROM _observed)",
            params,
        )
        con.execute(
            "INSERT INTO activation.provider_consent SELECT $destination, $channel, contact, "
            "provider_status, $sync, $now FROM _observed",
            {**params, "sync": sync.name, "now": state.now()},
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _watermark(con: duckdb.DuckDBPyConnection, sync: SyncConfig, scope: str) -> datetime | None:
    row = con.execute(
        "SELECT max(read_at) FROM activation.consent_reads "
        "WHERE destination = ? AND channel = ? AND scope = ?",
        [sync.destination, sync.channel, scope],
    ).fetchone()
    return row[0].replace(tzinfo=UTC) if row and row[0] else None


def _planned_contacts(con: duckdb.DuckDBPyConnection, sync: SyncConfig, key: str) -> list[tuple]:
    """(contact, reason) of the planned adds and updates."""
    rows = con.execute(
        "SELECT DISTINCT json_extract_string(payload, $path), reason FROM _plan "
        "WHERE op <> 'remove' AND payload IS NOT NULL",
        {"path": f"$.identifiers.{key}"},
    ).fetchall()
    return [(c, reason) for value, reason in rows if (c := normalise_contact(sync.channel, value))]


def read_back(con: duckdb.DuckDBPyConnection, sync: SyncConfig, destination: Destination) -> int:
    """Read provider-side consent into `activation.provider_consent` before planning.

    Reads what changed since this destination's last read (the watermark in
    `activation.consent_reads`, minus `OVERLAP`; every opt-out on the first read) and looks up
    the planned contacts new to the provider (no status recorded for it yet) and every contact a
    full resync re-adds. Seeds `destination.consent` with what is known. Returns how many
    opted-out contacts the read found.
    """
    key = contact_identifier(sync, type(destination))
    if key is None or type(destination).consent_changes is Destination.consent_changes:
        return 0
    scope = destination.consent_scope
    since = _watermark(con, sync, scope)
    started = datetime.now(UTC)
    changed = destination.consent_changes(since - OVERLAP if since else None)
    if changed is None:
        return 0
    planned = _planned_contacts(con, sync, key)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _planned_contacts AS SELECT unnest($c) AS contact",
        {"c": sorted({c for c, _ in planned}) or [""]},
    )
    known = dict(
        con.execute(
            "SELECT contact, provider_status FROM activation.provider_consent "
            "WHERE destination = ? AND channel = ? "
            "AND contact IN (SELECT contact FROM _planned_contacts)",
            [sync.destination, sync.channel],
        ).fetchall()
    )
    new = {c for c, reason in planned if reason == "full_resync" or c not in known}
    new -= set(changed)
    found = destination.lookup_consent(sorted(new))
    destination.consent.update({c: s for c, s in known.items() if c not in new})
    destination.consent.update(changed)
    destination.consent.update(found)
    record_contacts(con, sync, {**changed, **found})
    destination.consent_read_at = started
    con.execute(
        "INSERT INTO activation.consent_reads VALUES (?, ?, ?, ?)",
        [sync.destination, sync.channel, scope, started.replace(tzinfo=None)],
    )
    return sum(1 for s in changed.values() if s in BLOCKING_STATUSES)


def reread(con: duckdb.DuckDBPyConnection, sync: SyncConfig, destination: Destination) -> None:
    """Read what changed at the provider since this run's `read_back` again and record it."""
    started = destination.consent_read_at
    if started is None:
        return
    changed = destination.consent_changes(started - OVERLAP)
    record_contacts(con, sync, changed or {})


def blocked_contacts(con: duckdb.DuckDBPyConnection, sync: SyncConfig) -> set[str]:
    """Contacts the sync's provider holds as unsubscribed/suppressed/cleaned on its channel."""
    rows = con.execute(
        "SELECT contact FROM activation.provider_consent WHERE destination = ? AND channel = ? "
        f"AND provider_status IN ({', '.join('?' for _ in BLOCKING_STATUSES)})",
        [sync.destination, sync.channel, *sorted(BLOCKING_STATUSES)],
    ).fetchall()
    return {c for (c,) in rows}


def screen_batch(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: Destination,
    records: list[Record],
) -> set[str]:
    """Re-read the provider status of `records` (adds/updates) before sending them.

    Returns the keys the provider holds as unsubscribed/suppressed; those rows are marked
    `suppressed` with the provider's status and must not be sent.
    """
    if not records:
        return set()
    blocked = destination.blocked(records)
    record_observed(con, sync, destination, records)
    if blocked:
        state.mark_status(
            con, sync.name, {k: f"provider status: {v}" for k, v in blocked.items()}, "suppressed"
        )
    return set(blocked)


def settle_batch(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: Destination,
    batch_id: str,
    records: list[Record],
) -> set[str]:
    """After a batch was written: rows the provider reported as blocked stay unconfirmed.

    They are marked `suppressed` (keeping the hash the provider held before), so the engine's
    confirmation of the batch skips them. Returns their keys.
    """
    record_observed(con, sync, destination, records)
    found = {
        r.key: destination.observed[r.key]
        for r in records
        if r.op != "remove" and destination.observed.get(r.key) in BLOCKING_STATUSES
    }
    if not found:
        return set()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _settled AS SELECT unnest($key) AS record_key, "
        "unnest($status) AS status",
        {"key": list(found), "status": list(found.values())},
    )
    con.execute(
        "UPDATE activation.sync_records r SET status = 'suppressed', pending_op = NULL, "
        "pending_hash = NULL, last_error = 'provider status: ' || s.status, updated_at = $now "
        "FROM _settled s WHERE r.sync_name = $sync AND r.batch_id = $batch "
        "AND r.record_key = s.record_key AND r.status = 'pending'",
        {"now": state.now(), "sync": sync.name, "batch": batch_id},
    )
    return set(found)
