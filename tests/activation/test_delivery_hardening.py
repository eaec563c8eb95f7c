"""Hardening of exports and transports: CSV formula injection, timestamped webhook signatures,
secrets in URLs, plain http, and a Braze attribute named like a field."""

from __future__ import annotations

import csv
import re
import time

import pytest
import requests
from sync_helpers import member, one_sync, write_audience

from activation.destinations.webhook import SIGNATURE_HEADER, sign, verify
from activation.engine import run_sync
from activation.errors import SyncConfigError
from activation.urls import redact_url_secrets
from tests.cli.cli_run import assert_one_line_error, run_cli

FORMULAS = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(1)", "\tx", "\rx"]


def test_file_export_neutralises_formulas_but_keeps_numbers(tmp_path, db, monkeypatch):
    monkeypatch.setenv("FILE_EXPORT_DIR", str(tmp_path / "exports"))
    rows = [member(i, first_name=f) for i, f in enumerate(FORMULAS)]
    rows.append(member(99, first_name="-5"))
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    spec = {
        "name": "vip_file",
        "destination": "file",
        "target": "vip.csv",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"phone": "phone"},
        "fields": {"first_name": "first_name"},
    }
    sync = one_sync(tmp_path, spec)
    assert run_sync(db, sync).status == "success"
    rows[0]["first_name"] = "=1+1"  # an update rewrites the file from what it read back
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    assert run_sync(db, sync).updated == 1
    with (tmp_path / "exports" / "vip.csv").open(newline="") as handle:
        cells = {r["record_key"]: r for r in csv.DictReader(handle)}
    expected = ["=1+1", *FORMULAS[1:]]
    for i, value in enumerate(expected):
        assert cells[f"c{i:05d}"]["first_name"] == "'" + value
    assert cells["c00099"]["first_name"] == "-5"
    assert cells["c00001"]["phone"] == "+15550000001"


def test_webhook_signature_carries_a_timestamp_and_stale_ones_are_rejected(emus, db, tmp_path):
    rows = [member(i) for i in range(3)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    spec = {
        "name": "vip_webhook",
        "destination": "webhook",
        "target": "hooks/vip",
        "channel": "email",
        "identifiers": {"email": "email"},
    }
    assert run_sync(db, one_sync(tmp_path, spec)).status == "success"
    (delivery,) = emus.webhook.requests
    header = delivery.headers[SIGNATURE_HEADER.lower()]
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match and abs(int(match.group(1)) - time.time()) < 60
    secret = emus.env["WEBHOOK_API_KEY"]
    assert verify(secret, header, delivery.raw) is None
    assert "tolerance" in verify(secret, header, delivery.raw, now=time.time() + 301)
    assert "does not match" in verify(secret, header, delivery.raw + b" ")
    url = emus.env["WEBHOOK_BASE_URL"] + "/hooks/vip"
    stale = sign(secret, delivery.raw, timestamp=int(time.time()) - 600)
    replay = requests.post(url, data=delivery.raw, headers={SIGNATURE_HEADER: stale}, timeout=5)
    assert replay.status_code == 401 and "tolerance" in replay.text
    fresh = sign(secret, delivery.raw)
    headers = {SIGNATURE_HEADER: fresh, "Content-Type": "application/json"}
    assert requests.post(url, data=delivery.raw, headers=headers, timeout=5).status_code == 200


def test_secrets_in_urls_are_redacted_in_run_messages_and_row_errors(
    emus, db, tmp_path, monkeypatch
):
    rows = [member(i) for i in range(2)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    spec = {
        "name": "vip_webhook",
        "destination": "webhook",
        "target": "hooks/vip",
        "channel": "email",
        "identifiers": {"email": "email"},
    }
    monkeypatch.setenv("WEBHOOK_BASE_URL", "http://hookuser:pa55w0rdXYZ@127.0.0.1:9/in")
    monkeypatch.setenv("RETENTION_SYNC_MAX_ATTEMPTS", "1")
    result = run_sync(db, one_sync(tmp_path, spec))
    assert result.status == "failed"
    message = db.execute(
        "SELECT message FROM activation.sync_runs WHERE run_id = ?", [result.run_id]
    ).fetchone()[0]
    errors = [
        e
        for (e,) in db.execute(
            "SELECT error FROM activation.sync_row_errors WHERE run_id = ?", [result.run_id]
        ).fetchall()
    ]
    assert len(errors) == 2 and "could not reach" in message
    for text in [message, *errors]:
        assert "pa55w0rdXYZ" not in text and "hookuser" not in text and "***@127.0.0.1" in text


def test_query_tokens_and_userinfo_are_redacted():
    text = (
        "GET https://u:p4ss@api.example.com/x?To=%2B1555&access_token=abc123&page=2 "
        "and https://hooks.example.com/in?api_key=zzz999"
    )
    assert redact_url_secrets(text) == (
        "GET https://***@api.example.com/x?To=%2B1555&access_token=***&page=2 "
        "and https://hooks.example.com/in?api_key=***"
    )


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://api.example.com"])
def test_plain_http_to_a_remote_host_is_refused(emus, db, tmp_path, monkeypatch, url):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(0)])
    spec = {
        "name": "vip_braze",
        "destination": "braze",
        "target": "aud_vip",
        "channel": "email",
        "identifiers": {"external_id": "customer_id"},
    }
    monkeypatch.setenv("BRAZE_BASE_URL", url)
    monkeypatch.setenv("RETENTION_SYNC_MAX_ATTEMPTS", "1")
    with pytest.raises(SyncConfigError, match=r"BRAZE_BASE_URL .* not https") as caught:
        run_sync(db, one_sync(tmp_path, spec))
    assert "\n" not in str(caught.value)
    assert emus.braze.requests == []


def test_braze_attribute_named_like_a_field_carries_the_value(emus, db, tmp_path):
    rows = [member(i) for i in range(4)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    spec = {
        "name": "ltv_tiers_braze",
        "destination": "braze",
        "target": "clv_tier",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"external_id": "customer_id"},
        "fields": {"clv_tier": "clv_tier"},
    }
    sync = one_sync(tmp_path, spec)
    assert run_sync(db, sync).status == "success"
    tiers = {uid: user.get("clv_tier") for uid, user in emus.braze.users.items()}
    assert tiers == {r["customer_id"]: r["clv_tier"] for r in rows}
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows[1:])
    assert run_sync(db, sync, approve_removals=True).removed == 1
    assert "clv_tier" not in emus.braze.users[rows[0]["customer_id"]]


def test_cli_refuses_plain_http_with_a_one_line_error(tmp_path):
    db_path = tmp_path / "warehouse.duckdb"
    write_audience(
        db_path, "aud_ltv_tiers", [member(i, predicted_clv_365d="12.5") for i in range(2)]
    )
    env = {
        "RETENTION_DUCKDB_PATH": str(db_path),
        "BRAZE_API_KEY": "br-test",
        "BRAZE_BASE_URL": "http://rest.iad-01.braze.com",
    }
    done = run_cli("sync", "ltv_tiers_braze", env=env)
    # a sync configuration error, like a missing <DEST>_API_KEY: exit code 1
    assert_one_line_error(done, 1, "ltv_tiers_braze", "BRAZE_BASE_URL", "https")
