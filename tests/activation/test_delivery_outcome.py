"""A sync whose rows fail is `failed` (and the CLI exits non-zero) above a failed-row share; a
run killed mid-way is marked `interrupted` by the next run of that sync."""

from __future__ import annotations

import pytest
from sync_helpers import TWILIO, member, one_sync, write_audience, write_project
from typer.testing import CliRunner

import retention.core.settings as settings
from activation import state
from activation.engine import run_sync
from activation.tables import ensure_tables
from retention.cli import main as cli


def _rows(n: int, bad: int) -> list[dict]:
    """n SMS members, the first `bad` with numbers Twilio rejects (21211 invalid 'To')."""
    rows = [member(i, channel="sms") for i in range(n)]
    for row in rows[:bad]:
        row["phone"] = "555-not-a-number"
    return rows


def test_every_row_failing_is_a_failed_sync_and_the_cli_exits_non_zero(emus, tmp_path, monkeypatch):
    write_project(tmp_path / "dbt_project", "aud_test", [TWILIO])
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("COLUMNS", "200")
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", _rows(4, bad=4))
    if not cli.app.registered_commands:
        cli._register()
    done = CliRunner().invoke(cli.app, ["sync", "winback_sms"])
    assert done.exit_code != 0, done.output
    assert "failed" in done.output and "4 of 4 rows failed" in done.output
    assert emus.twilio.messages == []


@pytest.mark.parametrize(
    ("bad", "env_share", "sync_share", "status"),
    [
        (1, None, None, "partial"),  # 1 of 20 = 5% <= default 10%
        (3, None, None, "failed"),  # 15% > 10%
        (3, "0.2", None, "partial"),  # env raises the threshold
        (3, "0.2", 0.1, "failed"),  # the sync's own key wins over the env
    ],
)
def test_failed_share_threshold(
    emus, db, tmp_path, monkeypatch, bad, env_share, sync_share, status
):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", _rows(20, bad=bad))
    spec = {**TWILIO, **({"max_failed_share": sync_share} if sync_share is not None else {})}
    sync = one_sync(tmp_path, spec)
    if env_share is not None:
        monkeypatch.setenv("RETENTION_SYNC_MAX_FAILED_SHARE", env_share)
    result = run_sync(db, sync)
    assert (result.status, result.failed, result.added) == (status, bad, 20 - bad)
    stored = db.execute(
        "SELECT status FROM activation.sync_runs WHERE run_id = ?", [result.run_id]
    ).fetchone()[0]
    assert stored == status
    assert result.ok == (status == "partial")


def test_a_run_left_running_is_marked_interrupted_by_the_next_run(emus, db, tmp_path):
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", _rows(3, bad=0))
    sync = one_sync(tmp_path, TWILIO)
    ensure_tables(db)
    killed = state.start_run(db, sync.name, "twilio", False)  # what a kill -9 leaves behind
    other = state.start_run(db, "another_sync", "twilio", False)
    result = run_sync(db, sync)
    statuses = dict(
        db.execute(
            "SELECT run_id, status FROM activation.sync_runs WHERE run_id IN (?, ?, ?)",
            [killed, other, result.run_id],
        ).fetchall()
    )
    assert statuses == {killed: "interrupted", other: "running", result.run_id: "success"}
