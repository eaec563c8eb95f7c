"""People who unsubscribe at the provider between syncs: the next sync reads the opt-outs back
by what changed since its last read (not by looking everyone up), records them in
activation.provider_consent (and so marts.consent_ledger), reports them as unsubscribed rather
than missing, and never re-adds them, not even with --full-resync."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sync_helpers import VIP_MIRROR_SPECS as SPECS
from sync_helpers import member, one_sync, write_audience

from activation.emulators import DEFAULT_LIST_ID, Emulators
from activation.emulators.klaviyo_filter import FilterError, parse, parse_datetime
from activation.emulators.mailchimp import ISO_SECONDS
from activation.engine import run_sync
from retention.core.settings import DBT_PROJECT_DIR

ROWS = [member(i) for i in range(14)]
LEAVERS = [r["email"] for r in ROWS[2:12]]
BLOCKED = {"klaviyo": "suppressed", "mailchimp": "unsubscribed"}


def _opted_out(emus: Emulators, destination: str, email: str) -> bool:
    if destination == "klaviyo":
        profile = emus.klaviyo.profile(email)
        return profile["email_consent"] == "UNSUBSCRIBED" and profile["suppression"] is not None
    return emus.mailchimp.member(email)["status"] == "unsubscribed"


def _written_contacts(emus: Emulators, destination: str) -> str:
    """Every write request body the destination's emulator received, as one text."""
    return " ".join(
        r.raw.decode(errors="replace") for r in getattr(emus, destination).write_requests
    )


def _ledger(db) -> dict[str, str]:
    """marts.consent_ledger built by the real model's SQL (refs pointed at test tables)."""
    sql = (Path(DBT_PROJECT_DIR) / "models" / "marts" / "consent_ledger.sql").read_text()
    sql = re.sub(r"\{\{\s*ref\('stg_shop__customers'\)\s*\}\}", "_customers", sql)
    sql = re.sub(
        r"\{\{\s*source\('activation', 'provider_consent'\)\s*\}\}",
        "activation.provider_consent",
        sql,
    )
    assert "{{" not in sql
    db.execute("CREATE SCHEMA IF NOT EXISTS marts")
    db.execute(f"CREATE OR REPLACE TABLE marts.consent_ledger AS {sql}")
    return dict(
        db.execute(
            "SELECT contact, consent_status FROM marts.consent_ledger WHERE channel = 'email'"
        ).fetchall()
    )


def _customers(db) -> None:
    db.execute(
        "CREATE OR REPLACE TABLE _customers AS SELECT unnest($id) AS customer_id, "
        "unnest($email) AS email, NULL::VARCHAR AS phone, 'subscribed' AS email_consent, "
        "'not_subscribed' AS sms_consent, 'not_subscribed' AS whatsapp_consent, "
        "now()::TIMESTAMP AS loaded_at",
        {"id": [r["customer_id"] for r in ROWS], "email": [r["email"] for r in ROWS]},
    )


@pytest.mark.parametrize("destination", sorted(SPECS))
def test_unsubscribes_between_syncs_are_read_back_and_never_re_added(
    destination, emus, db, tmp_path
):
    sync = one_sync(tmp_path, SPECS[destination])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    assert run_sync(db, sync).added == len(ROWS)
    emulator = getattr(emus, destination)
    for email in LEAVERS:  # ten people click unsubscribe in a campaign
        emulator.unsubscribe(email)
    emus.clear_logs()

    result = run_sync(db, sync)
    assert result.status == "success", result.errors
    assert (result.drift_missing, result.drift_unexpected) == (0, 0)
    held = dict(
        db.execute(
            "SELECT contact, provider_status FROM activation.provider_consent "
            "WHERE destination = ? AND channel = 'email'",
            [destination],
        ).fetchall()
    )
    assert {e: held.get(e) for e in LEAVERS} == dict.fromkeys(LEAVERS, BLOCKED[destination])
    assert held[ROWS[0]["email"]] == "subscribed"
    drift = db.execute(
        "SELECT drift, count(*) FROM activation.sync_drift WHERE run_id = ? GROUP BY drift",
        [result.run_id],
    ).fetchall()
    assert drift == [("unsubscribed_at_provider", len(LEAVERS))]

    # read by what changed since the previous read, not by looking each member up
    reads = [r for r in emulator.requests if r.method == "GET"]
    if destination == "klaviyo":
        filters = [r.query.get("filter", "") for r in reads if r.path == "/api/profiles"]
        since = [f for f in filters if f.startswith("greater-than(")]
        assert since and all("1970-01-01" not in f for f in since), filters
        assert not [f for f in filters if f.startswith("any(")], filters
    else:
        stamps = [
            r.query["since_last_changed"]
            for r in reads
            if r.path.endswith("/members") and "since_last_changed" in r.query
        ]
        assert stamps and all(ISO_SECONDS.fullmatch(s) for s in stamps), stamps
        assert all(parse_datetime(s) < datetime.now(UTC) for s in stamps)

    emus.clear_logs()
    resync = run_sync(db, sync, full_resync=True)
    assert resync.status == "success", resync.errors
    assert resync.drift_missing == 0
    assert all(_opted_out(emus, destination, e) for e in LEAVERS)
    written = _written_contacts(emus, destination)
    assert not [e for e in LEAVERS if e in written]
    assert ROWS[0]["email"] in written  # the resync did send the others

    # dbt's consent ledger (built after the syncs: it turns withdrawals into unsubscribes)
    _customers(db)
    ledger = _ledger(db)
    assert {e: ledger[e] for e in LEAVERS} == dict.fromkeys(LEAVERS, "unsubscribed")
    assert ledger[ROWS[0]["email"]] == "subscribed"


def test_an_opt_out_from_before_the_first_sync_keeps_a_later_joiner_out(emus, db, tmp_path):
    """The first read takes every opt-out at Klaviyo, so a person who unsubscribed long ago and
    joins the audience later is never subscribed (no per-person lookup needed for them)."""
    sync = one_sync(tmp_path, SPECS["klaviyo"])
    late = member(99)
    emus.klaviyo.subscribe(late["email"])
    emus.klaviyo.unsubscribe(late["email"])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    assert run_sync(db, sync).added == len(ROWS)
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [*ROWS, late])
    emus.clear_logs()
    result = run_sync(db, sync)
    assert (result.added, result.skipped_suppressed) == (0, 1)
    assert emus.klaviyo.profile(late["email"])["suppression"]["reason"] == "UNSUBSCRIBE"
    assert late["email"] not in _written_contacts(emus, "klaviyo")


def test_klaviyo_list_creation_that_timed_out_is_not_repeated(emus, db, tmp_path):
    emus.klaviyo.lose_answer("POST", "/api/lists", status=504)
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    result = run_sync(db, one_sync(tmp_path, SPECS["klaviyo"]))
    assert result.status == "success", result.errors
    assert emus.klaviyo.lists_named("VIP") == 1
    assert emus.klaviyo.list_members("VIP") == {r["email"] for r in ROWS}
    creates = [r for r in emus.klaviyo.requests if r.method == "POST" and r.path == "/api/lists"]
    assert [r.status for r in creates] == [504]


def test_mailchimp_rejects_since_last_changed_with_microseconds(emus):
    url = f"{emus.env['MAILCHIMP_BASE_URL']}/lists/{DEFAULT_LIST_ID}/members"
    auth = ("retention", emus.env["MAILCHIMP_API_KEY"])
    bad = requests.get(
        url,
        params={"since_last_changed": "2026-01-01T00:00:00.123456+00:00"},
        auth=auth,
        timeout=10,
    )
    good = requests.get(
        url, params={"since_last_changed": "2026-01-01T00:00:00+00:00"}, auth=auth, timeout=10
    )
    assert (bad.status_code, good.status_code) == (400, 200)


def test_klaviyo_profile_filters_follow_the_documented_syntax(emus):
    for i in range(5):
        emus.klaviyo.subscribe(f"p{i}@example.com")
    cut = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    emus.klaviyo.unsubscribe("p1@example.com")
    emus.klaviyo.unsubscribe("p3@example.com")
    url = f"{emus.env['KLAVIYO_BASE_URL']}/api/profiles"
    headers = {"Authorization": f"Klaviyo-API-Key {emus.env['KLAVIYO_API_KEY']}"}

    def get(params: dict) -> requests.Response:
        return requests.get(url, params=params, headers=headers, timeout=10)

    params = {
        "filter": f"greater-than(subscriptions.email.marketing.suppression.timestamp,{cut})",
        "page[size]": "1",
    }
    seen = []
    while True:
        page = get(params).json()
        seen += [p["attributes"]["email"] for p in page["data"]]
        nxt = page["links"].get("next")
        if not nxt:
            break
        params = {**params, "page[cursor]": re.search(r"page%5Bcursor%5D=(\w+)", nxt).group(1)}
    assert sorted(seen) == ["p1@example.com", "p3@example.com"]
    changed = get({"filter": f'and(greater-than(updated,{cut}),equals(email,"p3@example.com"))'})
    assert [p["attributes"]["email"] for p in changed.json()["data"]] == ["p3@example.com"]
    assert get({"filter": "equals(updated,2026-01-01T00:00:00Z)"}).status_code == 400
    assert get({"filter": "greater-than(updated,yesterday)"}).status_code == 400
    assert get({"filter": "greater-than(subscriptions.sms.marketing.consent,1)"}).status_code == 400


def test_klaviyo_filter_parser_rejects_what_the_endpoint_does_not_allow():
    allowed = {"email": {"any", "equals"}, "updated": {"greater-than"}}
    (cond,) = parse('any(email,["a@x.io","b@x.io"])', allowed)
    assert cond.value == ["a@x.io", "b@x.io"]
    assert parse("greater-than(updated,2026-01-01T00:00:00Z)", allowed)[0].value.tzinfo
    for bad in ("less-than(updated,2026-01-01T00:00:00Z)", "equals(email", "any(email,[x]"):
        with pytest.raises(FilterError):
            parse(bad, allowed)


def test_mailchimp_unsubscribe_during_a_run_is_not_reported_missing(emus, db, tmp_path):
    """The segment read omits unsubscribed members; a member who left while the run wrote is
    read again before the drift check calls them missing."""
    sync = one_sync(tmp_path, SPECS["mailchimp"])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    assert run_sync(db, sync).added == len(ROWS)
    changed = [{**r, "first_name": "Renamed"} if r is ROWS[0] else r for r in ROWS]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", changed)
    leaver = ROWS[5]["email"]
    emus.mailchimp.on_request(
        lambda r: emus.mailchimp.unsubscribe(leaver) if r.method == "PUT" else None
    )
    result = run_sync(db, sync)
    assert (result.updated, result.drift_missing) == (1, 0)
    drift = db.execute(
        "SELECT contact, drift FROM activation.sync_drift WHERE run_id = ?", [result.run_id]
    ).fetchall()
    assert drift == [(leaver, "unsubscribed_at_provider")]
