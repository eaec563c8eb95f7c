"""Faults: injected 429/503 and rate limiting converge to the exact state; kill -9 mid-sync
then a rerun converges without duplicates or lost rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import duckdb
from sync_helpers import FAST, TWILIO, member, one_sync, write_audience

from activation.emulators import DEFAULT_LIST_ID, running_emulators
from activation.engine import run_sync

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
