"""Faults: injected 429/503 and rate limiting converge to the exact state; kill -9 mid-sync
then a rerun converges without duplicates or lost rows; faults after the provider accepted a
request (fault proxy: 502, connection reset, malformed 2xx) never send a message twice, never
leave a run `running`, and make the CLI exit non-zero."""

from __future__ import annotations

import base64
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from pydantic import BaseModel
from sync_helpers import FAST, TWILIO, WHATSAPP, member, one_sync, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from activation.emulators import DEFAULT_LIST_ID, running_emulators
from activation.emulators.fault_proxy import FaultPlan, fault_proxy, proxied_env
from activation.engine import run_sync
from activation.errors import MalformedResponseError, RateLimitedError, ServerError
from activation.http import HttpClient, should_retry
from activation.ratelimit import RateLimit
from retention.cli import main as cli

SPECS = {
    "klaviyo": {
        "target": "VIP",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"email": "email"},
        "fields": {"first_name": "first_name"},
    },
    "mailchimp": {
        "target": "VIP",
        "mode": "mirror",
        "channel": "email",
        "list_id": DEFAULT_LIST_ID,
        "identifiers": {"email_address": "email"},
    },
    "braze": {
        "target": "aud_vip",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"external_id": "customer_id"},
    },
}


def test_twenty_percent_injected_429_and_503_still_converge(tmp_path, monkeypatch):
    rows = [member(i) for i in range(400)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    with running_emulators(
        fault_rate=0.2, retry_after_s=0.01, rate_scale=FAST, seed=7, klaviyo_job_seconds=0.01
    ) as emus:
        for key, value in emus.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RETENTION_SYNC_RATE_SCALE", str(FAST))
        con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
        for destination, spec in SPECS.items():
            project = tmp_path / destination
            sync = one_sync(
                project, {"name": f"vip_{destination}", "destination": destination, **spec}
            )
            result = run_sync(con, sync)
            assert (result.status, result.added) == ("success", 400), result.errors
        statuses = Counter(r.status for e in emus.all for r in e.requests)
        assert statuses[429] > 0 and statuses[503] > 0
        emails = {r["email"] for r in rows}
        assert emus.klaviyo.list_members("VIP") == emails
        assert emus.mailchimp.segment_members("VIP") == emails
        assert emus.braze.users_with("aud_vip") == {r["customer_id"] for r in rows}
        con.close()


def test_client_honours_retry_after_when_faster_than_the_vendor(emus_slow_braze, db, tmp_path):
    emus = emus_slow_braze
    rows = [member(i) for i in range(75 * 24)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, {"name": "vip_braze", "destination": "braze", **SPECS["braze"]})
    result = run_sync(db, sync)
    assert (result.status, result.added) == ("success", len(rows))
    assert any(r.status == 429 for r in emus.braze.requests)
    assert emus.braze.users_with("aud_vip") == {r["customer_id"] for r in rows}


def _sync_in_subprocess(tmp_path, env) -> subprocess.Popen:
    code = (
        "import duckdb, sys\n"
        "from activation.config import load_syncs\n"
        "from activation.engine import run_sync\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "for sync in load_syncs(sys.argv[2]):\n"
        "    run_sync(con, sync)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "warehouse.duckdb"), str(tmp_path / "dbt")],
        env={**os.environ, **env},
        cwd=os.getcwd(),
    )


def test_kill_9_mid_sync_then_rerun_sends_each_message_once(tmp_path, monkeypatch):
    rows = [member(i, channel="sms") for i in range(60)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    one_sync(tmp_path / "dbt" / "..", TWILIO)  # writes tmp_path/dbt_project
    (tmp_path / "dbt_project").rename(tmp_path / "dbt")
    with running_emulators(rate_scale=FAST) as emus:
        env = {**emus.env, "RETENTION_SYNC_RATE_SCALE": "2"}  # 20 messages/s: ~3 s in total
        proc = _sync_in_subprocess(tmp_path, env)
        deadline = time.monotonic() + 30
        while len(emus.twilio.messages) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        sent_before = len(emus.twilio.messages)
        assert 15 <= sent_before < len(rows), "the kill should land mid-sync"

        for key, value in {**env, "RETENTION_SYNC_RATE_SCALE": str(FAST)}.items():
            monkeypatch.setenv(key, value)
        from activation.config import load_syncs

        (sync,) = load_syncs(tmp_path / "dbt")
        con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
        result = run_sync(con, sync)
        assert result.status == "success"
        per_number = Counter(m["to"] for m in emus.twilio.messages)
        assert set(per_number) == {r["phone"] for r in rows}
        assert max(per_number.values()) == 1
        assert run_sync(con, sync).write_requests == 0
        con.close()


def test_kill_9_mid_batch_sync_converges_to_the_exact_list(tmp_path, monkeypatch):
    rows = [member(i) for i in range(75 * 40)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    spec = {"name": "vip_braze", "destination": "braze", **SPECS["braze"]}
    one_sync(tmp_path, spec)
    (tmp_path / "dbt_project").rename(tmp_path / "dbt")
    with running_emulators(rate_scale=FAST) as emus:
        env = {**emus.env, "RETENTION_SYNC_RATE_SCALE": "0.01"}  # 10 requests/s after a burst
        proc = _sync_in_subprocess(tmp_path, env)
        deadline = time.monotonic() + 30
        while len(emus.braze.requests) < 33 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert 0 < len(emus.braze.users_with("aud_vip")) < len(rows)
        for key, value in {**env, "RETENTION_SYNC_RATE_SCALE": str(FAST)}.items():
            monkeypatch.setenv(key, value)
        from activation.config import load_syncs

        (sync,) = load_syncs(tmp_path / "dbt")
        con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
        result = run_sync(con, sync)
        assert result.status == "success"
        assert emus.braze.users_with("aud_vip") == {r["customer_id"] for r in rows}
        pending = con.execute(
            "SELECT count(*) FROM activation.sync_records WHERE status <> 'synced'"
        ).fetchone()[0]
        assert pending == 0
        con.close()


# --- faults after the provider accepted a request (fault proxy in front of the emulators) ---
AFTER_ACCEPT = ("accept_then_502", "accept_then_reset", "malformed_200", "missing_fields")


def _sends(method: str, path: str) -> bool:
    return method == "POST" and path.endswith(("/Messages.json", "/messages"))


@pytest.fixture
def proxied(emus, monkeypatch):
    """(emulators, plan setter): Twilio, WhatsApp and Klaviyo are reached through a fault proxy
    whose faults a test sets (none until then)."""
    with fault_proxy(emus.url) as proxy:
        env = proxied_env(emus.env, emus.url, proxy.url, {"twilio", "whatsapp", "klaviyo"})
        for key, value in env.items():
            monkeypatch.setenv(key, value)

        def set_plan(rates: dict[str, float], selects=_sends) -> FaultPlan:
            proxy.plan = FaultPlan(rates, selects=selects, seed=3)
            return proxy.plan

        yield emus, set_plan


@pytest.mark.parametrize("fault", AFTER_ACCEPT)
def test_twilio_send_with_unknown_outcome_is_looked_up_never_resent(proxied, db, tmp_path, fault):
    emus, set_plan = proxied
    rows = [member(i, channel="sms") for i in range(20)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    plan = set_plan({fault: 0.3})
    result = run_sync(db, one_sync(tmp_path, TWILIO))
    assert plan.injected[fault] > 0
    # every unknown outcome was found in Twilio's message list at once: nothing resent
    assert (result.status, result.added, result.failed) == ("success", 20, 0), result.errors
    per_number = Counter(m["to"] for m in emus.twilio.messages)
    assert per_number == Counter({r["phone"]: 1 for r in rows})
    lookups = [r for r in emus.twilio.requests if r.method == "GET"]
    assert len(lookups) == plan.injected[fault]
    ids = db.execute(
        "SELECT count(*) FILTER (status = 'sent'), count(DISTINCT provider_message_id) "
        "FROM activation.sync_messages"
    ).fetchone()
    assert ids == (20, 20)


@pytest.mark.parametrize("fault", AFTER_ACCEPT)
def test_whatsapp_send_with_unknown_outcome_is_held_back_and_counted(proxied, db, tmp_path, fault):
    emus, set_plan = proxied
    emus.whatsapp.approve_template("win_back")
    rows = [member(i, channel="whatsapp") for i in range(20)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, WHATSAPP)
    plan = set_plan({fault: 0.3})
    results = []
    for _ in range(20):  # each run stops at its first unknown outcome; rerun until done
        results.append(run_sync(db, sync))
        if results[-1].status == "success":
            break
    assert results[-1].status == "success" and len(results) > 1
    injected = plan.injected[fault]
    per_number = Counter("+" + m["to"] for m in emus.whatsapp.messages)
    assert per_number == Counter({r["phone"]: 1 for r in rows})  # all delivered, none twice
    assert sum(r.held_back for r in results) == injected > 0
    assert sum(r.added for r in results) == 20 - injected
    unknown = db.execute(
        "SELECT count(*) FROM activation.sync_messages WHERE status = 'unknown'"
    ).fetchone()[0]
    assert unknown == injected
    held = db.execute(
        "SELECT count(*) FROM activation.sync_row_errors WHERE error LIKE '%held back%'"
    ).fetchone()[0]
    assert held == injected


def test_a_5xx_on_a_send_is_not_retried_but_a_429_is():
    server = ServerError("x", vendor="twilio", status=502)
    limited = RateLimitedError("x", vendor="twilio", status=429)
    malformed = MalformedResponseError("x", vendor="twilio", status=200)
    assert should_retry(server)  # reads and idempotent writes
    assert not should_retry(server, resend_unconfirmed=False)
    assert not should_retry(malformed, resend_unconfirmed=False)
    assert should_retry(limited, resend_unconfirmed=False)


def _lists_reads(method: str, path: str) -> bool:
    return path.endswith("/api/lists")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("malformed_200", "klaviyo: GET /api/lists answered HTTP 200 with a body that is not JSON"),
        ("missing_fields", "KeyError"),  # `data` missing: not a destination error, still failed
    ],
)
def test_malformed_200_fails_the_run_instead_of_leaving_it_running(
    proxied, db, tmp_path, fault, expected
):
    emus, set_plan = proxied
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(5)])
    set_plan({fault: 1.0}, selects=_lists_reads)
    sync = one_sync(tmp_path, {"name": "vip_klaviyo", "destination": "klaviyo", **SPECS["klaviyo"]})
    result = run_sync(db, sync)
    assert result.status == "failed" and not result.ok
    status, message = db.execute(
        "SELECT status, message FROM activation.sync_runs WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert status == "failed" and expected in message
    set_plan({})
    assert run_sync(db, sync).status == "success"
    assert emus.klaviyo.list_members("VIP") == {member(i)["email"] for i in range(5)}


def test_cli_exits_non_zero_for_a_malformed_answer_and_reports_held_back_messages(
    proxied, tmp_path, monkeypatch
):
    emus, set_plan = proxied
    emus.whatsapp.approve_template("win_back")
    klaviyo = {"name": "vip_klaviyo", "destination": "klaviyo", **SPECS["klaviyo"]}
    write_project(tmp_path / "dbt_project", "aud_test", [klaviyo, WHATSAPP])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    rows = [member(i) for i in range(3)] + [member(i, channel="whatsapp") for i in range(3, 33)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    set_plan({"missing_fields": 1.0}, selects=_lists_reads)  # Klaviyo's list look-up
    emus.whatsapp.outage_after(29)  # the last WhatsApp send is answered 503: outcome unknown
    done = CliRunner().invoke(cli.app, ["sync", "vip_klaviyo", "winback_whatsapp"])
    assert done.exit_code == 1, done.output
    assert "vip_klaviyo: sync 'vip_klaviyo' stopped by an unexpected error: KeyError" in (
        done.output
    )
    assert "winback_whatsapp: 1 messages held back" in done.output
    assert "never resent (at-most-once)" in done.output
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    statuses = dict(con.execute("SELECT sync_name, status FROM activation.sync_runs").fetchall())
    con.close()
    assert statuses == {"vip_klaviyo": "failed", "winback_whatsapp": "partial"}


def test_a_base_url_with_a_query_string_keeps_its_path(emus, db, tmp_path, monkeypatch):
    monkeypatch.setenv("BRAZE_BASE_URL", emus.env["BRAZE_BASE_URL"] + "/?tenant=eu-1")
    rows = [member(i) for i in range(3)]
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    sync = one_sync(tmp_path, {"name": "vip_braze", "destination": "braze", **SPECS["braze"]})
    assert run_sync(db, sync).status == "success"
    assert emus.braze.users_with("aud_vip") == {r["customer_id"] for r in rows}
    assert {(r.path, r.query.get("tenant")) for r in emus.braze.requests} == {
        ("/users/track", "eu-1")
    }


HOLD_AND_SYNC = """
import sys, time
from pathlib import Path
from activation.config import load_syncs
from activation.engine import run_sync
from retention.core.lock import connect
with connect(Path(sys.argv[1])) as con:
    print("held", flush=True)
    (sync,) = load_syncs(sys.argv[2])
    print(run_sync(con, sync).status, flush=True)
    deadline = time.monotonic() + 60
    while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # hold the warehouse until the second sync is waiting for it
"""


class _Touch(logging.Handler):
    """Creates `marker` when the warehouse lock logs that this process waits for it."""

    def __init__(self, marker: Path) -> None:
        super().__init__(logging.INFO)
        self.marker = marker

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting for warehouse" in record.getMessage():
            self.marker.touch()


def test_a_second_sync_of_one_audience_says_what_it_waited_for(emus, tmp_path, monkeypatch):
    db_path = tmp_path / "warehouse.duckdb"
    rows = [member(i, channel="sms") for i in range(20)]
    write_audience(db_path, "aud_test", rows)
    write_project(tmp_path / "dbt_project", "aud_test", [TWILIO])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(db_path))
    monkeypatch.setenv("COLUMNS", "200")
    marker = tmp_path / "second-is-waiting"
    first = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_SYNC, str(db_path), str(tmp_path / "dbt_project"), marker],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert first.stdout.readline().strip() == "held"
    lock_log = logging.getLogger("retention.core.lock")
    handler, level = _Touch(marker), lock_log.level
    lock_log.addHandler(handler)
    lock_log.setLevel(logging.INFO)
    try:
        second = CliRunner().invoke(cli.app, ["sync", "winback_sms"])
    finally:
        lock_log.removeHandler(handler)
        lock_log.setLevel(level)
    assert first.wait(timeout=60) == 0 and first.stdout.read().strip() == "success"
    assert marker.exists(), second.output
    assert second.exit_code == 0, second.output
    assert f"waiting for warehouse {db_path}: in use by pid {first.pid}" in second.output
    assert re.search(r"waited \d+\.\ds for warehouse", second.output)
    assert re.search(r"winback_sms\s*│\s*success\s*│\s*0\s", second.output)  # nothing left
    assert Counter(m["to"] for m in emus.twilio.messages) == Counter(r["phone"] for r in rows)


class _Sid(BaseModel):
    sid: str


@pytest.mark.parametrize(
    ("fault", "model", "what"),
    [
        ("malformed_200", None, "answered HTTP 201 with a body that is not JSON"),
        ("missing_fields", _Sid, "answered HTTP 201 with JSON not as documented (sid: field req"),
    ],
)
def test_malformed_answers_name_vendor_method_path_and_the_problem(proxied, fault, model, what):
    emus, set_plan = proxied
    set_plan({fault: 1.0})
    token = base64.b64encode(emus.twilio.api_key.encode()).decode()
    client = HttpClient(
        vendor="twilio",
        base_url=os.environ["TWILIO_BASE_URL"],
        auth_headers={"Authorization": f"Basic {token}"},
        limits={"messages": RateLimit(1000.0, 1000)},
    )
    path = f"/2010-04-01/Accounts/{TWILIO['account_sid']}/Messages.json"
    form = {"To": "+15550009999", "From": TWILIO["from_number"], "Body": "Hi"}
    with pytest.raises(MalformedResponseError) as caught:
        client.request_json("POST", path, model=model, limit="messages", form=form)
    assert str(caught.value).startswith(f"twilio: POST {path} {what}")
    assert caught.value.outcome_unknown and len(emus.twilio.messages) == 1
