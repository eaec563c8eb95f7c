"""The emulated accounts live as long as the warehouse: saved next to it when the emulators stop,
restored when the next session (`retention demo`, `dev`, `emulators`, `sync --emulators`) starts,
so the sync state and the emulated lists agree; an unsubscribed person stays unsubscribed. A
fresh account (no saved state) is read back as drift, not reported as a clean "added 0"."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pytest
from dbt_command import WAREHOUSE_NAME
from report_views import create_report_views
from sync_helpers import FAST, member, one_sync, write_audience, write_project
from sync_helpers import VIP_MIRROR_SPECS as SPECS
from typer.testing import CliRunner

import retention.core.settings as settings
from activation.emulators import Emulators, running_emulators, state_file_for
from activation.engine import run_sync
from retention.cli import main as cli
from retention.core.errors import UserError
from retention.report import audiences
from retention.report.labels import Money
from retention.report.model import Section
from retention.report.summary import read_facts

ROWS = [member(i) for i in range(6)]
EMAILS = {r["email"] for r in ROWS}
LEAVER = ROWS[1]["email"]


@contextmanager
def _session(monkeypatch, state_file=None) -> Iterator[Emulators]:
    """Emulators at fast rates with this test's env pointed at them."""
    with running_emulators(
        rate_scale=FAST, retry_after_s=0.05, klaviyo_job_seconds=0.01, state_file=state_file
    ) as emus:
        for key, value in emus.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RETENTION_SYNC_RATE_SCALE", str(FAST))
        yield emus


def test_accounts_survive_a_restart_and_an_opt_out_stays_out(tmp_path, monkeypatch):
    db_path = tmp_path / WAREHOUSE_NAME
    state = state_file_for(db_path)
    sync = one_sync(tmp_path, SPECS["klaviyo"])
    write_audience(db_path, "aud_test", ROWS)
    with duckdb.connect(str(db_path)) as db:
        with _session(monkeypatch, state) as emus:
            assert run_sync(db, sync).added == len(ROWS)
            emus.klaviyo.unsubscribe(LEAVER)
        assert state.is_file()

        with _session(monkeypatch, state) as emus:  # the next session: the same account
            assert emus.klaviyo.list_members("VIP") == EMAILS
            again = run_sync(db, sync, full_resync=True)
            assert again.status == "success", again.errors
            assert (again.drift_missing, again.drift_unexpected) == (0, 0)
            assert emus.klaviyo.profile(LEAVER)["email_consent"] == "UNSUBSCRIBED"
            assert LEAVER not in _written(emus)  # never re-added, not even by a full resync

        with _session(monkeypatch) as emus:  # a fresh account without the saved state
            fresh = run_sync(db, sync)
    assert (fresh.added, fresh.drift_missing) == (0, len(ROWS) - 1)  # the leaver is not lost
    _drift_is_shown(db_path, lost=len(ROWS) - 1)


def _drift_is_shown(db_path, lost: int) -> None:
    """The demo summary and the report's sync section call the drifted sync not ok."""
    with duckdb.connect(str(db_path)) as con:
        create_report_views(con)
    facts = read_facts(db_path)
    assert facts.not_ok_syncs == {"vip_klaviyo": f"{lost} members missing at the provider"}
    assert [d["drift"] for d in facts.destinations] == [lost]
    section = Section(key="syncs", title="", lead="")
    with duckdb.connect(str(db_path), read_only=True) as con:
        audiences.last_syncs(con, section, Money(None))
    assert ("syncs not ok", "1") in section.stats
    assert ("members missing at the provider", str(lost)) in section.stats
    assert "--full-resync" in " ".join(section.notes)
    latest = section.tables[0].frame
    assert list(latest["status"]) == ["success, drift"]


def _written(emus) -> str:
    return " ".join(r.raw.decode(errors="replace") for r in emus.klaviyo.write_requests)


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"format": "retention-emulator-state", "version": 1, "accounts": {}}'],
    ids=["garbage", "older-version"],
)
def test_unreadable_state_is_a_one_line_error(tmp_path, content):
    state = tmp_path / "warehouse.emulators.json"
    state.write_bytes(content)
    with (
        pytest.raises(UserError, match="unreadable.*delete it") as raised,
        running_emulators(state_file=state),
    ):
        pass
    assert "\n" not in str(raised.value)


def test_a_pickle_in_the_state_file_is_never_run(tmp_path):
    """The state is JSON: a tampered file holding a pickle payload is refused, not executed."""
    marker = tmp_path / "ran"
    state = tmp_path / "warehouse.emulators.json"
    state.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(UserError, match="unreadable"), running_emulators(state_file=state):
        pass
    assert not marker.exists()


class _Payload:
    """A pickle that would create `marker` when unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_state_is_versioned_json_and_keeps_sets_and_int_keys(tmp_path):
    state = tmp_path / "warehouse.emulators.json"
    with running_emulators(state_file=state) as emus:
        emus.sendlane.lists[7] = {"a@example.com", "b@example.com"}
        emus.twilio.opted_out.add("+15555550100")
        emus.klaviyo.seed_profile(email="K@example.com")
    saved = json.loads(state.read_text())
    assert (saved["format"], saved["version"]) == ("retention-emulator-state", 2)
    with running_emulators(state_file=state) as emus:
        assert emus.sendlane.lists == {7: {"a@example.com", "b@example.com"}}
        assert emus.twilio.opted_out == {"+15555550100"}
        profile = emus.klaviyo.profile("k@example.com")  # the email index is rebuilt
        assert profile is not None and profile is emus.klaviyo.profiles[profile["id"]]


@pytest.fixture
def app(tmp_path, monkeypatch):
    write_project(tmp_path / "dbt_project", "aud_test", [SPECS["klaviyo"]])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / WAREHOUSE_NAME))
    monkeypatch.setenv("RETENTION_SYNC_RATE_SCALE", str(FAST))
    monkeypatch.setenv("COLUMNS", "250")
    if not cli.app.registered_commands:
        cli._register()
    return cli.app


def test_sync_before_any_build_stops_up_front(app, tmp_path):
    done = CliRunner().invoke(app, ["sync"])
    assert done.exit_code != 0
    message = str(done.exception)
    assert "aud_test not built" in message and "retention build" in message
    assert "\n" not in message
    assert not (tmp_path / "dagster_home").exists()  # no Dagster run was started


def test_sync_with_emulators_starts_them_with_the_warehouse_accounts(app, tmp_path, monkeypatch):
    db_path = tmp_path / WAREHOUSE_NAME
    write_audience(db_path, "aud_test", ROWS)
    sync = one_sync(tmp_path, SPECS["klaviyo"])
    with duckdb.connect(str(db_path)) as db, _session(monkeypatch, state_file_for(db_path)):
        run_sync(db, sync)  # an earlier session (the demo) synced the audience
    write_audience(db_path, "aud_test", [*ROWS, member(99)])
    done = CliRunner().invoke(app, ["sync", "vip_klaviyo", "--emulators"])
    assert done.exit_code == 0, done.output
    assert "provider emulators on http://127.0.0.1:" in done.output
    assert "drift" not in done.output  # this session found the earlier one's members
    with running_emulators(state_file=state_file_for(db_path)) as emus:
        assert emus.klaviyo.list_members("VIP") == EMAILS | {member(99)["email"]}
