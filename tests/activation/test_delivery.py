"""Message delivery safety against the Twilio and WhatsApp emulators: each message is recorded
the moment the provider accepts it, so outages and crashes never send one twice."""

from __future__ import annotations

import socket
import threading
from collections import Counter

import pytest
import requests
from sync_helpers import TWILIO, WHATSAPP, member, one_sync, write_audience

from activation.delivery import MessageLedger
from activation.engine import run_sync
from activation.errors import ConnectionFailedError
from activation.http import HttpClient, should_retry
from activation.ratelimit import RateLimit

SPECS = {"twilio": TWILIO, "whatsapp": WHATSAPP}


def _sent_per_number(emus, destination: str) -> Counter:
    messages = getattr(emus, destination).messages
    return Counter("+" + m["to"].lstrip("+") for m in messages)


def _twilio_auth(emus) -> tuple[str, str]:
    sid, secret = emus.twilio.api_key.split(":")
    return sid, secret


def test_emulators_do_not_honour_idempotency_keys(emus):
    """Twilio and Meta document no Idempotency-Key: a repeated request is a second message."""
    emus.whatsapp.approve_template("win_back")
    url = f"{emus.env['TWILIO_BASE_URL']}/2010-04-01/Accounts/{TWILIO['account_sid']}/Messages.json"
    form = {"To": "+15550002222", "From": "+15550001111", "Body": "Hi"}
    for _ in range(2):
        done = requests.post(
            url, data=form, auth=_twilio_auth(emus), headers={"Idempotency-Key": "k1"}, timeout=5
        )
        assert done.status_code == 201, done.text
    body = {
        "messaging_product": "whatsapp",
        "to": "15550002222",
        "type": "template",
        "template": {"name": "win_back", "language": {"code": "en_US"}},
    }
    wa_url = f"{emus.env['WHATSAPP_BASE_URL']}/v21.0/1234567890/messages"
    headers = {"Authorization": f"Bearer {emus.env['WHATSAPP_API_KEY']}", "Idempotency-Key": "k2"}
    for _ in range(2):
        assert requests.post(wa_url, json=body, headers=headers, timeout=5).status_code == 200
    assert len(emus.twilio.messages_to("+15550002222")) == 2
    assert len(emus.whatsapp.messages_to("15550002222")) == 2


def test_twilio_message_list_pages_newest_first_and_date_sent_skips_queued(emus):
    base = f"{emus.env['TWILIO_BASE_URL']}"
    path = f"/2010-04-01/Accounts/{TWILIO['account_sid']}/Messages.json"
    for i in range(5):
        form = {"To": "+15550003333", "From": "+15550001111", "Body": f"m{i}"}
        requests.post(base + path, data=form, auth=_twilio_auth(emus), timeout=5)
    requests.post(
        base + path,
        data={"To": "+15550004444", "From": "+15550001111", "Body": "other"},
        auth=_twilio_auth(emus),
        timeout=5,
    )
    bodies, url, params = [], base + path, {"To": "+15550003333", "PageSize": "2"}
    pages = 0
    while url:
        page = requests.get(url, params=params, auth=_twilio_auth(emus), timeout=5).json()
        bodies += [m["body"] for m in page["messages"]]
        pages += 1
        following = page["next_page_uri"]
        url, params = (base + following, None) if following else (None, None)
    assert pages == 3
    assert bodies == ["m4", "m3", "m2", "m1", "m0"]
    # queued messages have no date sent yet, so a DateSent filter cannot find them
    dated = requests.get(
        base + path,
        params={"To": "+15550003333", "DateSent>": "2000-01-01"},
        auth=_twilio_auth(emus),
        timeout=5,
    ).json()
    assert dated["messages"] == []


@pytest.mark.parametrize("destination", ["twilio", "whatsapp"])
def test_mid_batch_outage_then_rerun_sends_each_message_once(
    destination, emus, db, tmp_path, monkeypatch
):
    emus.whatsapp.approve_template("win_back")
    rows = [member(i, channel=SPECS[destination]["channel"]) for i in range(25)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, SPECS[destination])
    monkeypatch.setenv("RETENTION_SYNC_MAX_ATTEMPTS", "2")
    emulator = getattr(emus, destination)
    emulator.outage_after(13)  # mid-batch: 10 (twilio) / 20 (whatsapp) per batch
    first = run_sync(db, sync)
    assert first.status == "failed" and first.added == 13, first.errors
    emulator.end_outage()
    second = run_sync(db, sync)
    per_number = _sent_per_number(emus, destination)
    assert max(per_number.values()) == 1
    ledger = db.execute(
        "SELECT status, count(*), count(DISTINCT provider_message_id) FROM "
        "activation.sync_messages WHERE sync_name = ? GROUP BY 1 ORDER BY 1",
        [sync.name],
    ).fetchall()
    if destination == "twilio":
        # the 503'd send stayed pending; the rerun looked it up, did not find it, and sent it
        assert (second.status, second.added, second.failed) == ("success", 12, 0), second.errors
        assert set(per_number) == {r["phone"] for r in rows}
        assert ledger == [("sent", 25, 25)]
    else:
        # a 503 leaves the outcome unknown and WhatsApp cannot look messages up: held back
        assert first.held_back == 1
        assert (second.status, second.added, second.failed) == ("success", 11, 0), second.errors
        assert set(per_number) == {r["phone"] for r in rows} - {rows[13]["phone"]}
        assert ledger == [("sent", 24, 24), ("unknown", 1, 0)]


def test_twilio_pending_message_is_looked_up_not_resent(emus, db, tmp_path):
    """A crash between Twilio accepting a message and recording it leaves it `pending`; the next
    run finds it in Twilio's message list instead of sending it again."""
    rows = [member(i, channel="sms") for i in range(3)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, TWILIO)
    ledger = MessageLedger(db, sync.name, "killed-run")
    for row in rows[:2]:
        ledger.pending(row["customer_id"], row["phone"])
    url = f"{emus.env['TWILIO_BASE_URL']}/2010-04-01/Accounts/{TWILIO['account_sid']}/Messages.json"

    def post(body: str) -> dict:
        form = {"To": rows[0]["phone"], "From": TWILIO["from_number"], "Body": body}
        return requests.post(url, data=form, auth=_twilio_auth(emus), timeout=5).json()

    # what the killed process had sent: only the first of its two pending messages; two later
    # messages to the same number (another campaign) push it to the third page
    sent = post("Hi First0")
    post("Other campaign 1")
    post("Other campaign 2")
    emus.twilio.max_page_size = 1
    result = run_sync(db, sync)
    assert (result.status, result.added) == ("success", 3), result.errors
    ours = Counter(m["to"] for m in emus.twilio.messages if m["body"].startswith("Hi "))
    assert ours == Counter({r["phone"]: 1 for r in rows})
    recorded = db.execute(
        "SELECT provider_message_id FROM activation.sync_messages WHERE record_key = ?",
        [rows[0]["customer_id"]],
    ).fetchone()[0]
    assert recorded == sent["sid"]
    lookups = [r for r in emus.twilio.requests if r.method == "GET"]
    assert len(lookups) == 4  # 3 pages for the first pending message, 1 for the second


def test_whatsapp_pending_message_is_not_resent_and_reported_once(emus, db, tmp_path):
    """WhatsApp cannot look messages up: an unknown outcome is never resent (at-most-once)."""
    emus.whatsapp.approve_template("win_back")
    rows = [member(i, channel="whatsapp") for i in range(3)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, WHATSAPP)
    MessageLedger(db, sync.name, "killed-run").pending(rows[0]["customer_id"], rows[0]["phone"])
    first = run_sync(db, sync)
    assert (first.added, first.failed) == (2, 1)
    assert first.status == "failed"  # 1 of 3 rows failed, above the default 10%
    errors = db.execute(
        "SELECT record_key, error FROM activation.sync_row_errors WHERE run_id = ?",
        [first.run_id],
    ).fetchall()
    assert [k for k, _ in errors] == [rows[0]["customer_id"]]
    assert "not resent (at-most-once)" in errors[0][1]
    second = run_sync(db, sync)
    assert (second.status, second.failed, second.write_requests) == ("success", 0, 0)
    assert set(_sent_per_number(emus, "whatsapp")) == {r["phone"] for r in rows[1:]}
    status = db.execute(
        "SELECT status FROM activation.sync_messages WHERE record_key = ?",
        [rows[0]["customer_id"]],
    ).fetchone()[0]
    assert status == "unknown"


def test_a_request_that_may_have_been_processed_is_not_retried_blindly():
    maybe = ConnectionFailedError("x", vendor="twilio", maybe_sent=True)
    refused = ConnectionFailedError("x", vendor="twilio", maybe_sent=False)
    assert should_retry(maybe)  # list reads and list writes are idempotent
    assert not should_retry(maybe, resend_unconfirmed=False)
    assert should_retry(refused, resend_unconfirmed=False)


class _HangUp(threading.Thread):
    """A server on 127.0.0.1 that reads each request and closes without answering."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if conn.recv(65536):
                    self.requests += 1


@pytest.mark.parametrize(("resend", "expected_requests"), [(False, 1), (True, 3)])
def test_an_unanswered_send_is_not_retried_when_resends_are_unsafe(resend, expected_requests):
    server = _HangUp()
    server.start()
    client = HttpClient(
        vendor="twilio",
        base_url=f"http://127.0.0.1:{server.port}",
        auth_headers={},
        limits={"messages": RateLimit(1000.0, 1000)},
        max_attempts=3,
        jitter=lambda: 0.0,
    )
    with pytest.raises(ConnectionFailedError) as caught:
        client.request("POST", "/m", limit="messages", form={"To": "+1"}, resend_unconfirmed=resend)
    server.sock.close()
    assert caught.value.maybe_sent
    assert server.requests == expected_requests


def test_a_refused_connection_is_known_unsent():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: connections are refused
    client = HttpClient(
        vendor="twilio",
        base_url=f"http://127.0.0.1:{port}",
        auth_headers={},
        limits={"messages": RateLimit(1000.0, 1000)},
        max_attempts=2,
        jitter=lambda: 0.0,
    )
    with pytest.raises(ConnectionFailedError) as caught:
        client.request("POST", "/m", limit="messages", form={"To": "+1"}, resend_unconfirmed=False)
    assert not caught.value.maybe_sent


@pytest.mark.parametrize("destination", ["twilio", "whatsapp"])
def test_a_500_after_the_provider_accepted_is_never_resent(destination, emus, db, tmp_path):
    """Twilio documents that a send answered 500 may have been delivered: it is not retried;
    Twilio finds it in its message list, WhatsApp holds it back (at-most-once)."""
    emus.whatsapp.approve_template("win_back")
    rows = [member(i, channel=SPECS[destination]["channel"]) for i in range(5)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, SPECS[destination])
    emulator = getattr(emus, destination)
    emulator.fail_after_accept(1)
    first = run_sync(db, sync)
    assert any(r.status == 500 for r in emulator.requests)
    second = run_sync(db, sync)
    per_number = _sent_per_number(emus, destination)
    assert per_number == Counter({r["phone"]: 1 for r in rows})
    statuses = Counter(
        s for (s,) in db.execute("SELECT status FROM activation.sync_messages").fetchall()
    )
    if destination == "twilio":
        assert (first.status, first.added, first.failed) == ("success", 5, 0), first.errors
        assert statuses == {"sent": 5}
    else:
        # the first send was answered 500: held back, and the run sent nothing more
        assert (first.status, first.added, first.failed, first.held_back) == ("failed", 0, 5, 1)
        errors = dict(
            db.execute(
                "SELECT record_key, error FROM activation.sync_row_errors WHERE run_id = ?",
                [first.run_id],
            ).fetchall()
        )
        assert "held back" in errors[rows[0]["customer_id"]]
        assert "not attempted" in errors[rows[1]["customer_id"]]
        assert (second.status, second.added, second.held_back) == ("success", 4, 0)
        assert statuses == {"sent": 4, "unknown": 1}
    assert run_sync(db, sync).write_requests == 0
