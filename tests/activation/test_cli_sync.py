"""`retention syncs --json` and `retention sync` (in-process, temp project and warehouse)."""

from __future__ import annotations

import json

import pytest
from sync_helpers import member, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from retention.cli import main as cli

SPEC = {
    "name": "vip_klaviyo",
    "destination": "klaviyo",
    "target": "VIP",
    "mode": "mirror",
    "channel": "email",
    "identifiers": {"email": "email"},
}


@pytest.fixture
def app(tmp_path, monkeypatch):
    write_project(tmp_path / "dbt_project", "aud_test", [SPEC])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(5)])
    if not cli.app.registered_commands:
        cli._register()
    return cli.app


def test_syncs_json_lists_declared_syncs(app):
    done = CliRunner().invoke(app, ["syncs", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == [
        {
            "name": "vip_klaviyo",
            "model": "aud_test",
            "destination": "klaviyo",
            "target": "VIP",
            "mode": "mirror",
            "channel": "email",
            "last_status": None,
            "last_run_at": None,
        }
    ]


def test_sync_prints_summary_and_exit_code_reflects_failures(app, emus, monkeypatch, tmp_path):
    runner = CliRunner()
    dry = runner.invoke(app, ["sync", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry_run" in dry.output and emus.write_requests() == []
    done = runner.invoke(app, ["sync", "vip_klaviyo"])
    assert done.exit_code == 0, done.output
    assert "success" in done.output and emus.klaviyo.list_members("VIP")
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_wrong")
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", settings.DBT_PROJECT_DIR)
    from sync_helpers import write_audience as rewrite

    rewrite(
        settings.DBT_PROJECT_DIR.parent / "warehouse.duckdb",
        "aud_test",
        [member(i) for i in range(6)],
    )
    failed = runner.invoke(app, ["sync"])
    assert failed.exit_code == 1 and "failed" in failed.output
    listed = json.loads(runner.invoke(app, ["syncs", "--json"]).output)
    assert listed[0]["last_status"] == "failed"
    listed = json.loads(runner.invoke(app, ["syncs", "--json"]).output)
    assert listed[0]["last_status"] == "failed"


def test_unknown_sync_name_is_a_user_error(app):
    done = CliRunner().invoke(app, ["sync", "nope"])
    assert done.exit_code != 0
    assert "unknown sync" in str(done.exception)
