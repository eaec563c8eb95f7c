"""End to end per destination over real HTTP to the emulators: the audience lands exactly,
a rerun sends nothing, one changed customer sends one update, mirror removals apply."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sync_helpers import member, one_sync, write_audience

from activation.emulators import DEFAULT_LIST_ID, Emulators
from activation.engine import run_sync

EMAIL_IDS = {"email": "email", "external_id": "customer_id"}


@dataclass
class Case:
    spec: dict
    landed: Callable[[Emulators, object], set[str]]
    ident: Callable[[dict], str]
    send_once: bool = False


def _file_rows(tmp_path) -> set[str]:
    path = tmp_path / "exports" / "vip.csv"
    with path.open() as handle:
        return {row["record_key"] for row in csv.DictReader(handle)}


CASES = {
    "klaviyo": Case(
        {
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "identifiers": EMAIL_IDS,
            "fields": {"first_name": "first_name", "clv_tier": "clv_tier"},
        },
        lambda e, _: e.klaviyo.list_members("VIP"),
        lambda r: r["email"],
    ),
    "mailchimp": Case(
        {
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "list_id": DEFAULT_LIST_ID,
            "identifiers": {"email_address": "email"},
            "fields": {"FNAME": "first_name", "TIER": "clv_tier"},
        },
        lambda e, _: e.mailchimp.segment_members("VIP"),
        lambda r: r["email"],
    ),
    "iterable": Case(
        {
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "identifiers": {"email": "email", "userId": "customer_id"},
            "fields": {"firstName": "first_name"},
        },
        lambda e, _: e.iterable.list_members("VIP"),
        lambda r: r["email"],
    ),
    "braze": Case(
        {
            "target": "aud_vip",
            "mode": "mirror",
            "channel": "email",
            "identifiers": EMAIL_IDS,
            "fields": {"first_name": "first_name"},
        },
        lambda e, _: e.braze.users_with("aud_vip"),
        lambda r: r["customer_id"],
    ),
    "sendlane": Case(
        {
            "target": "VIP",
            "mode": "upsert",
            "channel": "email",
            "list_id": 7,
            "identifiers": {"email": "email"},
            "fields": {"first_name": "first_name"},
        },
        lambda e, _: e.sendlane.list_members(7),
        lambda r: r["email"],
    ),
    "attentive": Case(
        {
            "target": "src_42",
            "mode": "upsert",
            "channel": "sms",
            "identifiers": {"phone": "phone"},
            "fields": {"tier": "clv_tier"},
        },
        lambda e, _: e.attentive.subscribed(),
        lambda r: r["phone"],
    ),
    "webhook": Case(
        {
            "target": "hooks/vip",
            "mode": "mirror",
            "channel": "email",
            "identifiers": {"email": "email"},
            "fields": {"tier": "clv_tier"},
        },
        lambda e, _: set(e.webhook.received("hooks/vip")),
        lambda r: r["customer_id"],
    ),
    "file": Case(
        {
            "target": "vip.csv",
            "mode": "mirror",
            "channel": "email",
            "identifiers": {"email": "email"},
            "fields": {"tier": "clv_tier"},
        },
        lambda e, tmp: _file_rows(tmp),
        lambda r: r["customer_id"],
    ),
    "twilio": Case(
        {
            "target": "winback",
            "mode": "upsert",
            "channel": "sms",
            "identifiers": {"to": "phone"},
            "fields": {"first_name": "first_name"},
            "account_sid": "AC" + "1" * 32,
            "from_number": "+15550001111",
            "body": "Hi {first_name}, we miss you",
        },
        lambda e, _: {m["to"] for m in e.twilio.messages},
        lambda r: r["phone"],
        True,
    ),
    "whatsapp": Case(
        {
            "target": "win_back",
            "mode": "upsert",
            "channel": "whatsapp",
            "identifiers": {"to": "phone"},
            "fields": {"first_name": "first_name"},
            "phone_number_id": "1098765",
            "body_parameters": ["first_name"],
        },
        lambda e, _: {m["to"] for m in e.whatsapp.messages},
        lambda r: r["phone"].lstrip("+"),
        True,
    ),
}


def _rows() -> list[dict]:
    rows = [member(i) for i in range(10)]
    rows.append(member(10, email_consent=False, sms_consent=False))
    rows.append(member(11, email_consent=True, sms_consent=False))
    rows.append(member(12, email_consent=False, sms_consent=True))
    return rows


@pytest.mark.parametrize("destination", sorted(CASES))
def test_audience_lands_exactly_and_reruns_are_incremental(
    destination, emus, db, tmp_path, monkeypatch
):
    case = CASES[destination]
    monkeypatch.setenv("FILE_EXPORT_DIR", str(tmp_path / "exports"))
    emus.whatsapp.approve_template("win_back")
    sync = one_sync(
        tmp_path, {"name": f"vip_{destination}", "destination": destination, **case.spec}
    )
    rows = [{**r, "channel": sync.channel} for r in _rows()]  # routed to this sync's channel
    db_path = tmp_path / "warehouse.duckdb"
    write_audience(db_path, "aud_test", rows)
    consented = [r for r in rows if r[sync.consent_column]]

    first = run_sync(db, sync)
    assert first.status == "success", first.errors
    assert first.added == len(consented) and first.failed == 0
    assert first.skipped_no_consent == len(rows) - len(consented)
    assert case.landed(emus, tmp_path) == {case.ident(r) for r in consented}

    emus.clear_logs()
    second = run_sync(db, sync)
    assert (second.added, second.updated, second.removed, second.write_requests) == (0, 0, 0, 0)
    assert emus.write_requests() == []

    rows[0].update(first_name="Renamed", clv_tier="platinum")
    write_audience(db_path, "aud_test", rows)
    third = run_sync(db, sync)
    assert (third.added, third.updated) == (0, 0 if case.send_once else 1)
    if case.send_once:
        assert third.write_requests == 0

    if sync.mode == "mirror":
        gone = consented[1]
        write_audience(db_path, "aud_test", [r for r in rows if r is not gone])
        fourth = run_sync(db, sync)
        assert (fourth.removed, fourth.added) == (1, 0), fourth.errors
        assert case.landed(emus, tmp_path) == {case.ident(r) for r in consented if r is not gone}


def test_klaviyo_trait_update_reaches_the_profile(emus, db, tmp_path):
    sync = one_sync(tmp_path, {"name": "vip", "destination": "klaviyo", **CASES["klaviyo"].spec})
    rows = [member(i) for i in range(3)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    run_sync(db, sync)
    rows[2]["clv_tier"] = "platinum"
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    emus.clear_logs()
    result = run_sync(db, sync)
    assert result.updated == 1
    imports = [r for r in emus.write_requests() if r.path == "/api/profile-bulk-import-jobs"]
    (request,) = imports
    assert len(request.body["data"]["attributes"]["profiles"]["data"]) == 1
    assert emus.klaviyo.profile(rows[2]["email"])["properties"]["clv_tier"] == "platinum"
