"""No sync after a failed, unfinished or future-dated build, and no sudden growth unapproved:
the same checks for `retention sync` and the Dagster sync assets (both go through run_sync)."""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pytest
from sync_helpers import member, one_sync, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from activation import build_gate
from activation.engine import run_sync
from orchestration.pipeline import CheckFailure, PipelineResult, build_outcome
from retention.cli import main as cli

SPEC = {
    "name": "vip_klaviyo",
    "destination": "klaviyo",
    "target": "VIP",
    "mode": "mirror",
    "channel": "email",
    "identifiers": {"email": "email"},
}


@pytest.fixture(autouse=True)
def no_build_in_this_process(monkeypatch):
    """Builds started here export their id; restore the environment after each test."""
    monkeypatch.delenv(build_gate.BUILD_ID_ENV, raising=False)


def _sync(tmp_path, rows, **extra):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)
    return one_sync(tmp_path, {**SPEC, **extra})


def test_growth_beyond_max_growth_share_is_blocked_until_approved(emus, db, tmp_path):
    sync = _sync(tmp_path, [member(i) for i in range(10)], max_growth_share=0.5, growth_floor=0)
    assert run_sync(db, sync).added == 10
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(16)])
    emus.clear_logs()
    blocked = run_sync(db, sync)
    assert blocked.status == "blocked" and not blocked.ok
    assert "grew from 10 to 16 consented members" in blocked.errors[0]
    assert "--approve-growth" in blocked.errors[0]
    assert emus.write_requests() == [] and len(emus.klaviyo.list_members("VIP")) == 10
    assert run_sync(db, sync).status == "blocked"  # a blocked run moves no baseline
    approved = run_sync(db, sync, approve_growth=True)
    assert (approved.status, approved.added) == ("success", 6)
    assert run_sync(db, sync).status == "success"


def test_mirror_and_upsert_syncs_are_both_guarded(emus, db, tmp_path):
    for mode in ("mirror", "upsert"):  # growth_floor 0: only the default 100% share applies
        sync = one_sync(tmp_path, {**SPEC, "name": f"vip_{mode}", "mode": mode, "growth_floor": 0})
        write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(4)])
        run_sync(db, sync)
        write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(9)])
        assert run_sync(db, sync).status == "blocked", mode  # +125% > the default 100%


def test_growth_within_the_share_passes(emus, db, tmp_path):
    sync = _sync(tmp_path, [member(i) for i in range(10)], max_growth_share=0.5, growth_floor=0)
    run_sync(db, sync)
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(15)])
    assert run_sync(db, sync).added == 5


def _failed_build(db) -> None:
    build_id = build_gate.start_build(db, "build", None)
    build_gate.finish_build(db, build_id, False, ["step ml__churn_scores: boom"])


@pytest.mark.parametrize("build", ["failed", "killed", "future_as_of"])
def test_no_sync_after_a_failed_unfinished_or_future_build(build, emus, db, tmp_path, monkeypatch):
    sync = _sync(tmp_path, [member(i) for i in range(5)])
    if build == "failed":
        _failed_build(db)
        expected = "failed (step ml__churn_scores: boom)"
    elif build == "killed":
        build_gate.start_build(db, "build", None)
        os.environ.pop(build_gate.BUILD_ID_ENV)  # the process that built is gone
        expected = "never finished"
    else:
        future = dt.date.today() + dt.timedelta(days=30)
        db.execute("CREATE SCHEMA marts")
        db.execute("CREATE TABLE marts.as_of_date AS SELECT ?::DATE AS as_of_date", [future])
        expected = f"built as of {future}, a future date"
    result = run_sync(db, sync)
    assert result.status == "blocked", result.errors
    assert expected in result.errors[0]
    assert emus.write_requests() == []


def test_a_successful_build_and_the_running_build_itself_may_sync(emus, db, tmp_path):
    sync = _sync(tmp_path, [member(i) for i in range(5)])
    _failed_build(db)
    build_id = build_gate.start_build(db, "full_refresh", None)  # syncs run inside this build
    assert run_sync(db, sync).added == 5
    build_gate.finish_build(db, build_id, True, [])
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(6)])
    assert run_sync(db, sync).added == 1


def test_cli_sync_refuses_after_a_failed_build(tmp_path, emus, monkeypatch):
    write_project(tmp_path / "dbt_project", "aud_test", [SPEC])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "250")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(5)])
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        _failed_build(con)
    done = CliRunner().invoke(cli.app, ["sync"])
    assert done.exit_code == 1
    assert "blocked" in done.output and "run `retention build` before syncing" in done.output
    assert emus.write_requests() == []


def test_build_outcome_fails_on_failed_steps_and_blocking_checks_not_syncs(tmp_path):
    summary = PipelineResult("build", "r1", True, tmp_path, tmp_path)
    assert build_outcome(summary) == (True, [])
    summary.failed_steps = {"activation__vip_klaviyo": "sync failed"}
    summary.failed_checks = [CheckFailure("audiences/aud_x", "size_change", "WARN", "")]
    assert build_outcome(summary) == (True, [])
    summary.failed_checks.append(CheckFailure("marts/dim_customers", "not_null_email", "ERROR", ""))
    summary.failed_steps["dbt_build"] = "boom"
    ok, problems = build_outcome(summary)
    assert not ok
    assert problems == ["step dbt_build: boom", "check marts/dim_customers:not_null_email failed"]


def test_a_dagster_run_that_builds_the_audience_may_sync_despite_an_old_failed_build(
    emus, db, tmp_path
):
    import dagster as dg

    from orchestration.defs.activation.assets import build_sync_asset
    from orchestration.defs.activation.resources import destination_resource
    from orchestration.defs.warehouse_resource import WarehouseResource

    rows = [member(i) for i in range(5)]
    sync = _sync(tmp_path, rows)
    _failed_build(db)
    key = dg.AssetKey(["audiences", "aud_test"])

    @dg.asset(key=key)
    def audience() -> None:
        write_audience(tmp_path / "warehouse.duckdb", "aud_test", rows)

    sync_asset = build_sync_asset(sync, key, triggered=False)
    resources = {
        "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "warehouse.duckdb")),
        "destination_klaviyo": destination_resource("klaviyo"),
    }
    alone = dg.materialize([sync_asset], resources=resources, raise_on_error=False)
    assert not alone.success and emus.write_requests() == []
    built = dg.materialize([audience, sync_asset], resources=resources, raise_on_error=False)
    assert built.success
    assert emus.klaviyo.list_members("VIP") == {r["email"] for r in rows}
