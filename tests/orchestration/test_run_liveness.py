"""A run that dies releases what it held: Dagster runs, pool slots and sync runs, by liveness.

Cheap checks with real processes killed with SIGKILL: a Dagster run of a killed process that
claimed a `warehouse` pool slot (as every run did before the pool became per run), and
`activation.sync_runs` rows left `running` by a dead process, in a real DuckDB file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from activation import state
from activation.tables import ensure_tables
from orchestration import pipeline, runs
from retention.core import process

OLD_SETTINGS = """\
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""

PREVIOUS_SETTINGS = """\
# Dagster instance settings for this project: copy to $DAGSTER_HOME/dagster.yaml (`make dev` does).
# DuckDB allows one writer: every writing asset runs in the `warehouse` pool, one step at a time
# across all runs; the file lock in retention/core/lock.py guards processes outside Dagster.
concurrency:
  pools:
    default_limit: 1
# Nothing leaves the machine: no usage telemetry.
telemetry:
  enabled: false
"""

HOLD_SLOT = """
import time
import dagster as dg
from orchestration.runs import owner_tags

@dg.op(pool="warehouse")
def hold():
    print("holding", flush=True)
    time.sleep(600)

@dg.job
def held():
    hold()

held.execute_in_process(instance=dg.DagsterInstance.get(), tags=owner_tags())
"""


def _dead_owner() -> process.Owner:
    """An owner whose process has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = process.Owner(process.current().host, child.pid, None)
    child.wait()
    return owner


def test_a_killed_run_is_failed_and_its_pool_slot_freed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(OLD_SETTINGS)  # op pools: every run claims the slot
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SLOT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
        lines = runs.recover_dead_runs(instance, None)
        assert len(lines) == 1 and run.run_id[:8] in lines[0] and "marked failed" in lines[0]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
        assert runs.recover_dead_runs(instance, None) == []  # nothing left to recover


def test_an_old_instance_settings_copy_is_replaced(tmp_path: Path, monkeypatch) -> None:
    old = (Path(pipeline.__file__).parent / "dagster.yaml").read_text()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    edited = "# my own settings\n" + OLD_SETTINGS
    (home / "dagster.yaml").write_text(edited)
    pipeline.prepare_dagster_home()
    assert (home / "dagster.yaml").read_text() == edited  # an edited file is the user's
    (home / "dagster.yaml").write_text(PREVIOUS_SETTINGS)  # an unedited older copy
    pipeline.prepare_dagster_home()
    assert (home / "dagster.yaml").read_text() == old
    assert "granularity: run" in old


def test_sync_runs_of_dead_processes_are_interrupted(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(con)
    mine = state.start_run(con, "mine", "klaviyo", False)
    reused = process.Owner(process.current().host, os.getpid(), 1)  # same pid, other start
    dead, recycled = _dead_owner(), reused
    for run_id, owner in (("dead", dead), ("recycled", recycled), ("elsewhere", None)):
        con.execute(
            "INSERT INTO activation.sync_runs (run_id, sync_name, started_at, status, owner) "
            "VALUES (?, ?, now(), 'running', ?)",
            [run_id, f"sync_{run_id}", str(owner or process.Owner("other-host", 1, 5))],
        )
    marked = state.interrupt_runs(con)
    assert sorted(run_id for run_id, _, _ in marked) == ["dead", "recycled"]
    statuses = dict(con.execute("SELECT run_id, status FROM activation.sync_runs").fetchall())
    assert statuses == {
        mine: "running",
        "dead": "interrupted",
        "recycled": "interrupted",
        "elsewhere": "running",  # only its own host can tell
    }
    assert [r[0] for r in state.interrupt_runs(con, dead=False, message="x")] == [mine]
    con.close()


def test_dbt_runs_on_a_leash() -> None:
    from orchestration.defs.dbt.resources import dbt_executable

    executable = dbt_executable()
    assert Path(executable).name == "retention-dbt"
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Core" in done.stdout
