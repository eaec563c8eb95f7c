"""SIGTERM and kill -9 of `retention build` while dbt runs leave nothing behind.

One small store (150 customers): a build is stopped with SIGTERM mid-dbt (one line, exit 143,
dbt gone, run failed), another is killed with SIGKILL mid-dbt (its dbt child dies with it), and
the next build finishes without manual steps. It waits for another writer of its own warehouse
file, but not for one holding another warehouse file on the same Dagster instance: writers are
serialised per file, not per instance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from retention.core import process

pytestmark = [pytest.mark.slow]

RETENTION = str(Path(sys.executable).parent / "retention")
HOLD_WRITE_LOCK = """
import sys, time
from pathlib import Path
from retention.core.lock import write_lock
with write_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()  # until told to let go
"""


def _store(folder: Path) -> Path:
    from retention.ingest import ingest_path
    from retention.sample_store import generate_store

    db = folder / "w.duckdb"
    generate_store(folder / "store", customers=150, seed=5)
    ingest_path(folder / "store", db_path=db)
    return db


def _build(folder: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [RETENTION, "build"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _dbt_child(build: subprocess.Popen, timeout: float = 900) -> process.Owner:
    """The build's dbt child once it runs `dbt build`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert build.poll() is None, build.communicate()
        for pid in process.children(build.pid):
            if "dbt" in process.describe(pid) and "build" in process.describe(pid):
                time.sleep(1.0)  # let dbt start writing
                return process.Owner(process.current().host, pid, process.start_ticks(pid))
        time.sleep(0.1)
    raise AssertionError("the build never started dbt")


def _gone_within(owner: process.Owner, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process.alive(owner):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_stopped_and_killed_builds_leave_nothing_behind(tmp_path: Path) -> None:
    db = _store(tmp_path)
    home = tmp_path / "dagster_home"
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(home),
        "COLUMNS": "1000",  # one line per message
    }

    build = _build(tmp_path, env)
    dbt = _dbt_child(build)
    stopped = time.monotonic()
    build.send_signal(signal.SIGTERM)
    _, err = build.communicate(timeout=60)
    assert build.returncode == 128 + signal.SIGTERM, err
    assert time.monotonic() - stopped < 30
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by SIGTERM"), err
    assert "marked failed" in lines[0]
    assert _gone_within(dbt, 1)

    build = _build(tmp_path, env)
    dbt = _dbt_child(build)
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert _gone_within(dbt, 5), "dbt outlived the killed build"

    other = tmp_path / "other.duckdb"  # another warehouse file, busy the whole time
    holders = {
        path: subprocess.Popen(
            [sys.executable, "-c", HOLD_WRITE_LOCK, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for path in (db, other)
    }
    try:
        assert [h.stdout.readline().strip() for h in holders.values()] == ["held", "held"]
        build = _build(tmp_path, env)
        before = []  # what the build printed before it said whom it waits for
        while (waited := build.stderr.readline()) and not waited.startswith("waiting for"):
            before.append(waited)
        holders[db].stdin.write("go\n")
        holders[db].stdin.flush()
        out, err = build.communicate(timeout=900)
    finally:
        for holder in holders.values():
            holder.kill()
            holder.wait()
    out += "".join(before) + waited + err
    assert build.returncode == 0, out[-3000:]
    assert "build succeeded" in out
    assert waited.startswith(f"waiting for warehouse {db}: in use by pid {holders[db].pid}")
    assert str(other) not in out
    assert "which died: marked failed" in out  # the killed build's run, released
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = [run.status for run in instance.get_runs()]
    assert statuses == [
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.FAILURE,
    ]
