"""Reconciliation: a sync pointed at an emptied provider account reports the members missing
there (activation.sync_drift, console), and `--full-resync` restores them."""

from __future__ import annotations

import pytest
from sync_helpers import VIP_MIRROR_SPECS as SPECS
from sync_helpers import member, one_sync, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from activation.emulators import DEFAULT_LIST_ID
from activation.engine import run_sync
from retention.cli import main as cli

ROWS = [member(i) for i in range(8)]
EMAILS = {r["email"] for r in ROWS}


def _landed(emus, destination: str) -> set[str]:
    if destination == "klaviyo":
        return emus.klaviyo.list_members("VIP")
    return emus.mailchimp.segment_members("VIP")


def _empty(emus, destination: str) -> None:
    getattr(emus, destination).empty()


@pytest.mark.parametrize("destination", sorted(SPECS))
def test_emptied_account_is_reported_as_drift_and_full_resync_restores_it(
    destination, emus, db, tmp_path
):
    sync = one_sync(tmp_path, SPECS[destination])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    first = run_sync(db, sync)
    assert (first.added, first.drift_missing, first.drift_unexpected) == (len(ROWS), 0, 0)

    _empty(emus, destination)
    stale = run_sync(db, sync)
    assert (stale.added, stale.updated, stale.removed) == (0, 0, 0)
    assert (stale.drift_missing, stale.drift_unexpected) == (len(ROWS), 0)
    drift = db.execute(
        "SELECT contact, drift FROM activation.sync_drift WHERE run_id = ?", [stale.run_id]
    ).fetchall()
    assert sorted(drift) == sorted((e, "missing_at_provider") for e in EMAILS)

    restored = run_sync(db, sync, full_resync=True)
    assert restored.status == "success", restored.errors
    assert (restored.added, restored.drift_missing) == (len(ROWS), 0)
    assert _landed(emus, destination) == EMAILS


def test_members_added_at_the_provider_by_hand_are_unexpected_in_a_mirror(emus, db, tmp_path):
    sync = one_sync(tmp_path, SPECS["mailchimp"])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    run_sync(db, sync)
    emus.mailchimp.set_status("stranger@example.com", "subscribed")
    segment = next(iter(emus.mailchimp.lists[DEFAULT_LIST_ID]["segments"].values()))
    segment["members"].add("stranger@example.com")
    result = run_sync(db, sync)
    assert (result.drift_missing, result.drift_unexpected) == (0, 1)


def test_cli_reports_drift_and_full_resync_restores(tmp_path, emus, monkeypatch):
    write_project(tmp_path / "dbt_project", "aud_test", [SPECS["klaviyo"]])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "250")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", ROWS)
    if not cli.app.registered_commands:
        cli._register()
    runner = CliRunner()
    assert runner.invoke(cli.app, ["sync"]).exit_code == 0
    emus.klaviyo.empty()
    stale = runner.invoke(cli.app, ["sync"])
    assert stale.exit_code == 0, stale.output
    assert f"drift: {len(ROWS)} members missing at the provider" in stale.output
    assert "--full-resync" in stale.output
    assert emus.klaviyo.list_members("VIP") == set()
    restored = runner.invoke(cli.app, ["sync", "--full-resync"])
    assert restored.exit_code == 0, restored.output
    assert "drift:" not in restored.output
    assert emus.klaviyo.list_members("VIP") == EMAILS
