"""Resubscribe race: someone unsubscribes at the provider while a sync runs. Later batches (and
the very write that races the unsubscribe) must never resubscribe them."""

from __future__ import annotations

import pytest
from sync_helpers import VIP_MIRROR_SPECS, member, one_sync, write_audience

from activation.destinations.klaviyo import KlaviyoDestination
from activation.destinations.mailchimp import MailchimpDestination
from activation.emulators import DEFAULT_LIST_ID
from activation.emulators.common import LoggedRequest
from activation.engine import run_sync

MAILCHIMP = VIP_MIRROR_SPECS["mailchimp"]
KLAVIYO = VIP_MIRROR_SPECS["klaviyo"]
ROWS = [member(i) for i in range(12)]
LATE = ROWS[10]  # in the third batch of four


def _statuses(db, sync_name: str) -> dict[str, str]:
    return dict(
        db.execute(
            "SELECT record_key, status FROM activation.sync_records WHERE sync_name = ?",
            [sync_name],
        ).fetchall()
    )


def _on_nth(n: int, matches, action):
    """A hook running `action` when the `n`-th request matching `matches` arrives."""
    seen = []

    def hook(request: LoggedRequest) -> None:
        if matches(request):
            seen.append(request)
            if len(seen) == n:
                action()

    return hook


def _mailchimp_batch(request: LoggedRequest) -> bool:
    return request.method == "POST" and request.path == f"/lists/{DEFAULT_LIST_ID}"


@pytest.fixture
def small_batches(monkeypatch):
    """Four members per write batch, so twelve members take three batches."""
    monkeypatch.setattr(MailchimpDestination, "upsert_batch_size", 4)
    monkeypatch.setattr(KlaviyoDestination, "upsert_batch_size", 4)


@pytest.mark.parametrize("nth_batch", [2, 3], ids=["between_batches", "racing_the_write"])
def test_mailchimp_unsubscribe_during_a_sync_is_never_overridden(
    emus, db, tmp_path, small_batches, nth_batch
):
    emus.mailchimp.set_status(LATE["email"], "subscribed")  # signed up at Mailchimp before
    emus.mailchimp.on_request(
        _on_nth(
            nth_batch,
            _mailchimp_batch,
            lambda: emus.mailchimp.set_status(LATE["email"], "unsubscribed"),
        )
    )
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    result = run_sync(db, one_sync(tmp_path, MAILCHIMP))
    assert emus.mailchimp.member(LATE["email"])["status"] == "unsubscribed"
    assert LATE["email"] not in emus.mailchimp.segment_members("VIP")
    assert (result.added, result.skipped_suppressed, result.failed) == (11, 1, 0)
    assert _statuses(db, "vip_mc")[LATE["customer_id"]] == "suppressed"


def test_mailchimp_update_never_resubscribes_a_member_who_left(emus, db, tmp_path):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    sync = one_sync(tmp_path, MAILCHIMP)
    assert run_sync(db, sync).added == len(ROWS)
    changed = [{**r, "first_name": r["first_name"] + "x"} for r in ROWS]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", changed)
    emus.mailchimp.on_request(
        _on_nth(
            1,
            lambda r: r.method == "PUT",
            lambda: emus.mailchimp.set_status(LATE["email"], "unsubscribed"),
        )
    )
    emus.mailchimp.set_status(ROWS[0]["email"], "unsubscribed")  # before the run
    emus.clear_logs()
    result = run_sync(db, sync)
    assert emus.mailchimp.member(ROWS[0]["email"])["status"] == "unsubscribed"
    assert emus.mailchimp.member(LATE["email"])["status"] == "unsubscribed"
    subscribed = {
        m["email_address"]
        for r in emus.mailchimp.write_requests
        for m in (r.body or {}).get("members", [])
        if m.get("status") == "subscribed"
    } | {
        r.body["email_address"]
        for r in emus.mailchimp.write_requests
        if r.method == "PUT" and "status" in r.body
    }
    assert ROWS[0]["email"] not in subscribed and LATE["email"] not in subscribed
    assert result.skipped_suppressed == 2
    statuses = _statuses(db, "vip_mc")
    assert statuses[ROWS[0]["customer_id"]] == statuses[LATE["customer_id"]] == "suppressed"


def _klaviyo_import(request: LoggedRequest) -> bool:
    return request.method == "POST" and request.path == "/api/profile-bulk-import-jobs"


@pytest.mark.parametrize("nth_batch", [2, 3], ids=["between_batches", "racing_the_write"])
def test_klaviyo_unsubscribe_during_a_sync_is_never_lifted(
    emus, db, tmp_path, small_batches, nth_batch
):
    emus.klaviyo.seed_profile(LATE["email"])["email_consent"] = "SUBSCRIBED"
    emus.klaviyo.on_request(
        _on_nth(
            nth_batch,
            _klaviyo_import,
            lambda: emus.klaviyo.seed_profile(LATE["email"], email_suppressed="UNSUBSCRIBE"),
        )
    )
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    result = run_sync(db, one_sync(tmp_path, KLAVIYO))
    profile = emus.klaviyo.profile(LATE["email"])
    assert profile["email_consent"] == "UNSUBSCRIBED"
    assert profile["suppression"]["reason"] == "UNSUBSCRIBE"
    assert LATE["email"] not in emus.klaviyo.list_members("VIP")
    assert emus.klaviyo.list_members("VIP") == {r["email"] for r in ROWS} - {LATE["email"]}
    assert (result.added, result.skipped_suppressed, result.failed) == (11, 1, 0)
    assert _statuses(db, "vip_klaviyo")[LATE["customer_id"]] == "suppressed"


def test_klaviyo_subscribed_profile_is_added_to_the_list_without_a_consent_call(emus, db, tmp_path):
    emus.klaviyo.seed_profile(LATE["email"])["email_consent"] = "SUBSCRIBED"
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    assert run_sync(db, one_sync(tmp_path, KLAVIYO)).added == len(ROWS)
    subscribed = [
        p["attributes"]["email"]
        for r in emus.klaviyo.write_requests
        if r.path == "/api/profile-subscription-bulk-create-jobs"
        for p in r.body["data"]["attributes"]["profiles"]["data"]
    ]
    assert sorted(subscribed) == sorted(r["email"] for r in ROWS if r is not LATE)
    assert LATE["email"] in emus.klaviyo.list_members("VIP")
