"""Safety: provider unsubscribes respected, mass removals blocked, dry runs send nothing,
secrets never logged or shown in errors."""

from __future__ import annotations

import logging

from sync_helpers import VIP_MIRROR_SPECS, member, one_sync, write_audience

from activation.emulators import DEFAULT_LIST_ID
from activation.engine import run_sync

KLAVIYO = VIP_MIRROR_SPECS["klaviyo"]


def test_klaviyo_unsubscribed_and_suppressed_people_are_never_resubscribed(emus, db, tmp_path):
    rows = [member(i) for i in range(6)]
    emus.klaviyo.seed_profile(rows[1]["email"], email_suppressed="UNSUBSCRIBE")
    emus.klaviyo.seed_profile(rows[2]["email"].upper(), email_suppressed="SPAM_COMPLAINT")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, KLAVIYO)
    for _ in range(2):
        result = run_sync(db, sync)
        assert result.skipped_suppressed == 2
    assert emus.klaviyo.list_members("VIP") == {r["email"] for r in rows} - {
        rows[1]["email"],
        rows[2]["email"].upper(),
        rows[2]["email"],
    }
    assert emus.klaviyo.profile(rows[1]["email"])["email_consent"] == "UNSUBSCRIBED"
    subscribed = [
        p["attributes"]["email"]
        for r in emus.klaviyo.requests
        if r.path == "/api/profile-subscription-bulk-create-jobs"
        for p in r.body["data"]["attributes"]["profiles"]["data"]
    ]
    assert rows[1]["email"] not in subscribed and rows[2]["email"] not in subscribed
    states = dict(
        db.execute(
            "SELECT record_key, status FROM activation.sync_records WHERE sync_name = 'vip_klaviyo'"
        ).fetchall()
    )
    assert states[rows[1]["customer_id"]] == "suppressed"


def test_mailchimp_unsubscribed_and_cleaned_members_keep_their_status(emus, db, tmp_path):
    rows = [member(i) for i in range(5)]
    emus.mailchimp.set_status(rows[0]["email"], "unsubscribed")
    emus.mailchimp.set_status(rows[1]["email"], "cleaned")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(
        tmp_path,
        {
            "name": "vip_mc",
            "destination": "mailchimp",
            "target": "VIP",
            "channel": "email",
            "list_id": DEFAULT_LIST_ID,
            "identifiers": {"email_address": "email"},
            "fields": {"FNAME": "first_name"},
        },
    )
    result = run_sync(db, sync)
    assert (result.added, result.skipped_suppressed, result.failed) == (3, 2, 0)
    assert emus.mailchimp.member(rows[0]["email"])["status"] == "unsubscribed"
    assert emus.mailchimp.member(rows[1]["email"])["status"] == "cleaned"
    assert emus.mailchimp.segment_members("VIP") == {r["email"] for r in rows[2:]}


def test_consent_is_checked_per_channel(emus, db, tmp_path):
    rows = [
        member(0, email_consent=True, sms_consent=False, channel="sms"),
        member(1, channel="sms"),
    ]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(
        tmp_path,
        {
            "name": "sms_vip",
            "destination": "klaviyo",
            "target": "SMS VIP",
            "channel": "sms",
            "identifiers": {"phone_number": "phone"},
        },
    )
    result = run_sync(db, sync)
    assert (result.added, result.skipped_no_consent) == (1, 1)
    assert emus.klaviyo.list_members("SMS VIP") == {rows[1]["phone"]}


def test_mass_removal_is_blocked_until_approved(emus, db, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    rows = [member(i) for i in range(10)]
    write_audience(path, "aud_test", rows)
    sync = one_sync(tmp_path, KLAVIYO)
    run_sync(db, sync)
    write_audience(path, "aud_test", rows[:7])  # 30% would leave, limit is 20%
    emus.clear_logs()
    blocked = run_sync(db, sync)
    assert blocked.status == "blocked" and not blocked.ok
    assert "--approve-removals" in blocked.errors[0] and "3 of 10" in blocked.errors[0]
    assert emus.write_requests() == [] and len(emus.klaviyo.list_members("VIP")) == 10
    approved = run_sync(db, sync, approve_removals=True)
    assert (approved.status, approved.removed) == ("success", 3)
    assert emus.klaviyo.list_members("VIP") == {r["email"] for r in rows[:7]}


def test_dry_run_sends_nothing_and_stores_the_plan(emus, db, tmp_path):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(4)])
    sync = one_sync(tmp_path, KLAVIYO)
    result = run_sync(db, sync, dry_run=True)
    assert (result.status, result.added) == ("dry_run", 4)
    assert all(not e.requests for e in emus.all)
    planned = db.execute(
        "SELECT op, count(*) FROM activation.sync_planned_changes WHERE run_id = ? GROUP BY 1",
        [result.run_id],
    ).fetchall()
    assert planned == [("add", 4)]
    assert (
        db.execute(
            "SELECT count(*) FROM activation.sync_records WHERE fields_hash IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    assert run_sync(db, sync).added == 4  # the dry run did not mark anything as synced


def test_secrets_never_reach_logs_or_errors(emus, db, tmp_path, monkeypatch, caplog):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(3)])
    sync = one_sync(tmp_path, KLAVIYO)
    caplog.set_level(logging.DEBUG, logger="activation")
    good_key = emus.env["KLAVIYO_API_KEY"]
    assert run_sync(db, sync).status == "success"
    wrong_key = "pk_wrong_secret_value_123"
    monkeypatch.setenv("KLAVIYO_API_KEY", wrong_key)
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(5)])
    failed = run_sync(db, sync)
    assert failed.status == "failed" and not failed.ok
    assert "HTTP 401" in failed.errors[0]
    text = caplog.text + " ".join(failed.errors)
    assert good_key not in text and wrong_key not in text
    info = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "@example.com" not in info


def test_rows_routed_to_another_channel_are_left_to_that_channels_sync(emus, db, tmp_path):
    """A per-row `channel` routes each member to one sync: nobody hears the same thing twice."""
    rows = [member(i, channel="sms" if i % 3 == 0 else "email") for i in range(9)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, KLAVIYO)
    result = run_sync(db, sync)
    email_routed = {r["email"] for r in rows if r["channel"] == "email"}
    assert result.added == len(email_routed) == 6
    assert emus.klaviyo.list_members("VIP") == email_routed
