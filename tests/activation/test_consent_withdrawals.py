"""Consent withdrawn in the warehouse (marts.consent_ledger) reaches the providers: the person is
unsubscribed at every destination that can unsubscribe, in mirror and upsert mode alike, not just
taken off a list; and nobody the ledger holds as unsubscribed is added or updated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sync_helpers import member, one_sync, write_audience

from activation.emulators import DEFAULT_LIST_ID, Emulators
from activation.engine import run_sync


@dataclass
class Case:
    spec: dict
    unsubscribed: Callable[[Emulators, dict], bool]
    listed: Callable[[Emulators, dict], bool]


def _klaviyo_unsubscribed(e: Emulators, row: dict) -> bool:
    profile = e.klaviyo.profile(row["email"])
    return profile["email_consent"] == "UNSUBSCRIBED" and profile["suppression"] is not None


KLAVIYO = {
    "destination": "klaviyo",
    "target": "VIP",
    "channel": "email",
    "identifiers": {"email": "email"},
    "fields": {"first_name": "first_name"},
}
CASES = {
    "klaviyo_mirror": Case(
        {**KLAVIYO, "mode": "mirror"},
        _klaviyo_unsubscribed,
        lambda e, r: r["email"] in e.klaviyo.list_members("VIP"),
    ),
    "klaviyo_upsert": Case(
        {**KLAVIYO, "mode": "upsert"},
        _klaviyo_unsubscribed,
        lambda e, r: r["email"] in e.klaviyo.list_members("VIP"),
    ),
    "mailchimp_mirror": Case(
        {
            "destination": "mailchimp",
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "list_id": DEFAULT_LIST_ID,
            "identifiers": {"email_address": "email"},
            "fields": {"FNAME": "first_name"},
        },
        lambda e, r: e.mailchimp.member(r["email"])["status"] == "unsubscribed",
        lambda e, r: r["email"] in e.mailchimp.segment_members("VIP"),
    ),
    "iterable_mirror": Case(
        {
            "destination": "iterable",
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "identifiers": {"email": "email"},
            "fields": {"firstName": "first_name"},
        },
        lambda e, r: e.iterable.channel_unsubscribed(r["email"]),
        lambda e, r: r["email"] in e.iterable.list_members("VIP"),
    ),
    "braze_mirror": Case(
        {
            "destination": "braze",
            "target": "aud_vip",
            "mode": "mirror",
            "channel": "email",
            "identifiers": {"external_id": "customer_id", "email": "email"},
            "fields": {"first_name": "first_name"},
        },
        lambda e, r: e.braze.users[r["customer_id"]].get("email_subscribe") == "unsubscribed",
        lambda e, r: r["customer_id"] in e.braze.users_with("aud_vip"),
    ),
    "attentive_upsert": Case(
        {
            "destination": "attentive",
            "target": "src_42",
            "mode": "upsert",
            "channel": "sms",
            "identifiers": {"phone": "phone"},
            "fields": {"tier": "clv_tier"},
        },
        lambda e, r: e.attentive.subscribers[r["phone"]]["status"] == "opted_out",
        lambda e, r: r["phone"] in e.attentive.subscribed(),
    ),
}


def write_ledger(db, withdrawn: list[tuple[str, str]]) -> None:
    """`marts.consent_ledger` as dbt builds it, with `withdrawn` (channel, contact) unsubscribed."""
    db.execute("CREATE SCHEMA IF NOT EXISTS marts")
    db.execute(
        "CREATE OR REPLACE TABLE marts.consent_ledger (channel VARCHAR, contact VARCHAR, "
        "consent_status VARCHAR, is_contactable BOOLEAN)"
    )
    for channel, contact in withdrawn:
        db.execute(
            "INSERT INTO marts.consent_ledger VALUES (?, ?, 'unsubscribed', false)",
            [channel, contact],
        )


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_withdrawn_consent_is_unsubscribed_at_the_provider(case_name, emus, db, tmp_path):
    case = CASES[case_name]
    sync = one_sync(tmp_path, {"name": f"vip_{case_name}", **case.spec})
    rows = [{**member(i), "channel": sync.channel} for i in range(6)]
    db_path = tmp_path / "warehouse.duckdb"
    write_audience(db_path, "aud_test", rows)
    write_ledger(db, [])
    assert run_sync(db, sync).added == len(rows)
    gone = rows[2]
    assert case.listed(emus, gone) and not case.unsubscribed(emus, gone)

    # the audience model drops the withdrawn person; the ledger says why
    contact = gone["email"] if sync.channel == "email" else gone["phone"]
    write_ledger(db, [(sync.channel, contact)])
    write_audience(db_path, "aud_test", [r for r in rows if r is not gone])
    result = run_sync(db, sync)
    assert result.status == "success", result.errors
    assert result.removed == 1
    assert case.unsubscribed(emus, gone)
    assert not case.listed(emus, gone)
    assert case.listed(emus, rows[3]) and not case.unsubscribed(emus, rows[3])
    state = db.execute(
        "SELECT status FROM activation.sync_records WHERE sync_name = ? AND record_key = ?",
        [sync.name, gone["customer_id"]],
    ).fetchone()
    assert state == ("removed",)

    emus.clear_logs()
    assert run_sync(db, sync).removed == 0  # unsubscribed once, not again
    assert emus.write_requests() == []


def test_a_withdrawn_contact_still_in_an_audience_is_never_sent(emus, db, tmp_path):
    """An audience that does not read the ledger still cannot reach a withdrawn contact."""
    sync = one_sync(tmp_path, {"name": "vip_klaviyo", **KLAVIYO, "mode": "mirror"})
    rows = [member(i) for i in range(4)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    write_ledger(db, [("email", rows[1]["email"])])
    result = run_sync(db, sync, dry_run=True)
    assert result.added == 3
    planned = db.execute(
        "SELECT record_key FROM activation.sync_planned_changes WHERE run_id = ?",
        [result.run_id],
    ).fetchall()
    assert (rows[1]["customer_id"],) not in planned
    assert run_sync(db, sync).added == 3
    assert rows[1]["email"] not in emus.klaviyo.list_members("VIP")
    assert emus.klaviyo.profile(rows[1]["email"]) is None


def test_a_mass_withdrawal_in_an_upsert_sync_needs_approval(emus, db, tmp_path):
    sync = one_sync(tmp_path, {"name": "vip_klaviyo", **KLAVIYO, "mode": "upsert"})
    rows = [member(i) for i in range(6)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    write_ledger(db, [])
    run_sync(db, sync)
    write_ledger(db, [("email", r["email"]) for r in rows[:3]])
    emus.clear_logs()
    blocked = run_sync(db, sync)
    assert blocked.status == "blocked"
    assert "would unsubscribe 3 of 6 members" in blocked.errors[0]
    assert emus.write_requests() == []
    approved = run_sync(db, sync, approve_removals=True)
    assert (approved.status, approved.removed) == ("success", 3)
    assert all(_klaviyo_unsubscribed(emus, r) for r in rows[:3])


def test_provider_status_read_back_lands_in_provider_consent(emus, db, tmp_path):
    """Also when dbt's on-run-start created the table first (no key, as the macro does)."""
    db.execute("CREATE SCHEMA activation")
    db.execute(
        "CREATE TABLE activation.provider_consent (destination VARCHAR, channel VARCHAR, "
        "contact VARCHAR, provider_status VARCHAR, sync_name VARCHAR, observed_at TIMESTAMP)"
    )
    rows = [member(i) for i in range(4)]
    emus.klaviyo.seed_profile(rows[1]["email"].upper(), email_suppressed="SPAM_COMPLAINT")
    emus.klaviyo.seed_profile(rows[2]["email"])["email_consent"] = "SUBSCRIBED"
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, {"name": "vip_klaviyo", **KLAVIYO, "mode": "mirror"})
    for _ in range(2):
        run_sync(db, sync)
    emus.klaviyo.seed_profile(rows[2]["email"], email_suppressed="UNSUBSCRIBE")
    write_audience(
        tmp_path / "warehouse.duckdb", "aud_test", [{**r, "first_name": "x"} for r in rows]
    )
    run_sync(db, sync)
    stored = db.execute(
        "SELECT contact, provider_status FROM activation.provider_consent "
        "WHERE destination = 'klaviyo' AND channel = 'email' ORDER BY contact"
    ).fetchall()
    assert stored == sorted(
        [
            (rows[0]["email"], "subscribed"),
            (rows[1]["email"], "suppressed"),
            (rows[2]["email"], "suppressed"),
            (rows[3]["email"], "subscribed"),
        ]
    )
