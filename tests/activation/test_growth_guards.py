"""Every sync has a size guard that never switches off: an SMS audience that balloons (7 -> 967),
regrows after an empty run (0 -> 1,068) or starts too big is blocked before any message is
sent, an audience that empties is blocked until approved, and a triggered audience's normal
day-to-day variation is never blocked."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from sync_helpers import TWILIO, member, one_sync, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from activation.engine import run_sync
from activation.errors import SyncConfigError
from activation.guards import LIST_LIMITS, MESSAGE_LIMITS, guard_limits
from retention.cli import main as cli

KLAVIYO = {
    "name": "vip_klaviyo",
    "destination": "klaviyo",
    "target": "VIP",
    "channel": "email",
    "identifiers": {"email": "email"},
}

# a triggered SMS audience joining a Klaviyo list (its flow texts each new member)
ABANDONED_CART_SMS = {
    "name": "abandoned_cart_sms",
    "destination": "klaviyo",
    "target": "Abandoned cart SMS",
    "channel": "sms",
    "identifiers": {"phone_number": "phone", "external_id": "customer_id"},
}


def _sms(first: int, n: int) -> list[dict]:
    """n SMS members, customers first .. first + n - 1."""
    return [member(i, channel="sms") for i in range(first, first + n)]


def _run(db, tmp_path, sync, rows, **approvals):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    return run_sync(db, sync, **approvals)


def _stored(db, run_id: str) -> tuple[str, str | None, int]:
    return db.execute(
        "SELECT status, message, audience_size FROM activation.sync_runs WHERE run_id = ?",
        [run_id],
    ).fetchone()


def test_an_sms_upsert_sync_growing_from_7_to_967_is_blocked_and_sends_nothing(emus, db, tmp_path):
    sync = one_sync(tmp_path, TWILIO)
    assert _run(db, tmp_path, sync, _sms(0, 7)).added == 7
    blocked = _run(db, tmp_path, sync, _sms(0, 967))
    assert (blocked.status, blocked.ok, blocked.added) == ("blocked", False, 0)
    assert len(emus.twilio.messages) == 7
    status, message, size = _stored(db, blocked.run_id)
    assert (status, size) == ("blocked", 967)
    assert "\n" not in message and "sync 'winback_sms'" in message
    assert "grew from 7 to 967 consented members" in message
    assert "retention sync winback_sms --approve-growth" in message


def test_regrowth_after_an_empty_run_is_judged_against_the_last_non_empty_size(emus, db, tmp_path):
    sync = one_sync(tmp_path, TWILIO)
    _run(db, tmp_path, sync, _sms(0, 7))
    empty = _run(db, tmp_path, sync, [])  # 7 is too small to be sure 0 is not a quiet day
    assert empty.status == "success" and _stored(db, empty.run_id)[2] == 0
    blocked = _run(db, tmp_path, sync, _sms(0, 1068))
    assert blocked.status == "blocked"
    assert "grew from 7 to 1,068" in blocked.errors[0]
    assert "the last run was empty" in blocked.errors[0]
    assert len(emus.twilio.messages) == 7


def test_an_audience_that_empties_is_blocked_until_approved(emus, db, tmp_path):
    sync = one_sync(tmp_path, TWILIO)
    _run(db, tmp_path, sync, _sms(0, 30))
    for _ in range(2):  # a blocked run moves no baseline: still blocked
        blocked = _run(db, tmp_path, sync, [])
        assert blocked.status == "blocked" and not blocked.ok
        assert "is empty (0 consented members; last run 30, typical 30)" in blocked.errors[0]
        assert "retention sync winback_sms --approve-empty`" in blocked.errors[0]
    assert _run(db, tmp_path, sync, [], approve_empty=True).status == "success"
    assert _run(db, tmp_path, sync, []).status == "success"  # approved: it stays empty
    back = _run(db, tmp_path, sync, _sms(0, 30))  # back to its size: no growth, no resend
    assert (back.status, back.added) == ("success", 0)
    assert len(emus.twilio.messages) == 30


def test_a_mirror_list_that_empties_needs_both_approvals(emus, db, tmp_path):
    sync = one_sync(tmp_path, {**KLAVIYO, "mode": "mirror"})
    rows = [member(i) for i in range(20)]
    _run(db, tmp_path, sync, rows)
    blocked = _run(db, tmp_path, sync, [])
    assert "--approve-empty --approve-removals`" in blocked.errors[0]
    assert len(emus.klaviyo.list_members("VIP")) == 20
    assert _run(db, tmp_path, sync, [], approve_empty=True).status == "blocked"
    done = _run(db, tmp_path, sync, [], approve_empty=True, approve_removals=True)
    assert (done.status, done.removed) == ("success", 20)
    assert emus.klaviyo.list_members("VIP") == set()


def test_normal_variation_of_a_triggered_audience_passes_and_a_spike_does_not(emus, db, tmp_path):
    """Abandoned carts by SMS: a rolling set of new people each run, sizes moving with the day."""
    sync = one_sync(tmp_path, ABANDONED_CART_SMS)
    assert guard_limits(sync) == MESSAGE_LIMITS
    first = 0
    for size in (38, 52, 29, 61, 44, 35, 70, 47, 3, 40, 66):
        result = _run(db, tmp_path, sync, _sms(first, size))
        assert (result.status, result.added) == ("success", size), (size, result.errors)
        first += size
    emus.clear_logs()
    spike = _run(db, tmp_path, sync, _sms(first, 600))
    assert spike.status == "blocked" and "grew from 66 to 600" in spike.errors[0]
    assert emus.write_requests() == []


def test_a_small_triggered_audience_may_be_empty_and_vary_within_the_floor(emus, db, tmp_path):
    sync = one_sync(tmp_path, TWILIO)
    first = 0
    for size in (3, 0, 5, 1, 0, 0, 24, 2, 0, 9):
        result = _run(db, tmp_path, sync, _sms(first, size))
        assert result.status == "success", (size, result.errors)
        first += size
    assert len(emus.twilio.messages) == first


def test_approving_growth_sends_it_and_moves_the_baseline(emus, db, tmp_path):
    sync = one_sync(tmp_path, TWILIO)
    _run(db, tmp_path, sync, _sms(0, 7))
    assert _run(db, tmp_path, sync, _sms(0, 60)).status == "blocked"  # +53 > floor 25
    approved = _run(db, tmp_path, sync, _sms(0, 60), approve_growth=True)
    assert (approved.status, approved.added) == ("success", 53)
    assert _run(db, tmp_path, sync, _sms(0, 70)).status == "success"
    assert len(emus.twilio.messages) == 70


@pytest.mark.parametrize(("cap", "size", "status"), [(None, 1001, "blocked"), (5, 6, "blocked")])
def test_a_first_message_sync_above_max_first_run_size_is_blocked(
    emus, db, tmp_path, cap, size, status
):
    spec = {**TWILIO, **({"max_first_run_size": cap} if cap else {})}
    sync = one_sync(tmp_path, spec)
    blocked = _run(db, tmp_path, sync, _sms(0, size))
    assert blocked.status == status
    assert f"first sms sync of audience aud_test would reach {size:,}" in blocked.errors[0]
    assert f"max_first_run_size {cap or MESSAGE_LIMITS.max_first_run_size:,}" in blocked.errors[0]
    assert emus.twilio.messages == []
    if cap:
        approved = _run(db, tmp_path, sync, _sms(0, size), approve_growth=True)
        assert (approved.status, approved.added) == ("success", size)


def test_email_lists_are_guarded_by_default_mirror_and_upsert(emus, db, tmp_path):
    for mode in ("mirror", "upsert"):
        sync = one_sync(tmp_path, {**KLAVIYO, "name": f"vip_{mode}", "mode": mode})
        assert guard_limits(sync) == LIST_LIMITS and LIST_LIMITS.max_first_run_size is None
        assert _run(db, tmp_path, sync, [member(i) for i in range(150)]).added == 150
        blocked = _run(db, tmp_path, sync, [member(i) for i in range(320)])  # +170 > 150
        assert blocked.status == "blocked", mode
        assert "grew from 150 to 320" in blocked.errors[0]
        assert _run(db, tmp_path, sync, [member(i) for i in range(250)]).added == 100


def test_a_triggered_upsert_sync_declaring_allow_empty_may_empty_and_refill(emus, db, tmp_path):
    sync = one_sync(tmp_path, {**TWILIO, "allow_empty": True})
    _run(db, tmp_path, sync, _sms(0, 30))
    assert _run(db, tmp_path, sync, []).status == "success"  # a quiet night, not a broken filter
    spike = _run(db, tmp_path, sync, _sms(100, 500))  # growth is still judged against 30
    assert spike.status == "blocked" and "grew from 30 to 500" in spike.errors[0]
    assert len(emus.twilio.messages) == 30


def test_allow_empty_on_a_mirror_sync_is_a_declaration_error(tmp_path):
    with pytest.raises(SyncConfigError, match="allow_empty applies to upsert syncs only"):
        one_sync(tmp_path, {**KLAVIYO, "mode": "mirror", "allow_empty": True})


def test_declared_limits_override_the_channel_defaults(tmp_path):
    sync = one_sync(
        tmp_path, {**TWILIO, "max_growth_share": 3.0, "growth_floor": 0, "max_first_run_size": 9}
    )
    limits = guard_limits(sync)
    assert (limits.max_growth_share, limits.growth_floor, limits.max_first_run_size) == (3, 0, 9)
    assert guard_limits(one_sync(tmp_path, TWILIO)) == MESSAGE_LIMITS


def test_cli_and_dagster_asset_report_a_blocked_run_and_take_the_approvals(
    emus, tmp_path, monkeypatch
):
    write_project(tmp_path / "dbt_project", "aud_test", [TWILIO])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "250")
    db_path = tmp_path / "warehouse.duckdb"

    def sync(rows: list[dict], *flags: str):
        write_audience(db_path, "aud_test", rows)
        return CliRunner().invoke(cli.app, ["sync", "winback_sms", *flags])

    write_audience(db_path, "aud_test", _sms(0, 30))
    with duckdb.connect(str(db_path)) as con:
        assert run_sync(con, one_sync(tmp_path, TWILIO)).added == 30
    empty = sync([])
    assert empty.exit_code == 1 and "blocked" in empty.output
    assert "retention sync winback_sms --approve-empty" in " ".join(empty.output.split())
    assert sync([], "--approve-empty").exit_code == 0
    grown = sync(_sms(0, 90))
    assert grown.exit_code == 1 and "grew from 30 to 90" in " ".join(grown.output.split())
    assert len(emus.twilio.messages) == 30
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_run_records(limit=1)
        failures = [
            e.dagster_event.event_specific_data.error_display_string
            for e in instance.all_logs(runs[0].dagster_run.run_id)
            if e.dagster_event and e.dagster_event.is_step_failure
        ]
    assert any("grew from 30 to 90" in f for f in failures), failures
    assert sync(_sms(0, 90), "--approve-growth").exit_code == 0
    assert len(emus.twilio.messages) == 90
