"""The cross-process warehouse lock: re-entrant in a process, waits for (or times out on) others."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from retention.core.lock import WarehouseLockedError, lock_path, read_lock, write_lock

HOLD = """
import sys, time
from pathlib import Path
from retention.core.lock import write_lock
with write_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_reentrant_within_a_process(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_lock(db, timeout=1), write_lock(db, timeout=1), read_lock(db, timeout=1):
        assert "pid" in lock_path(db).read_text()
    assert lock_path(db).read_text() == ""


def test_other_process_times_out_with_holder_named(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    proc = _hold(db, 5)
    try:
        with (
            pytest.raises(WarehouseLockedError, match=r"busy: pid \d+"),
            write_lock(db, timeout=0.5),
        ):
            pass
        with pytest.raises(WarehouseLockedError), read_lock(db, timeout=0.3):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_waits_for_other_process_then_acquires(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    messages: list[str] = []
    proc = _hold(db, 1.0)
    started = time.monotonic()
    with write_lock(db, timeout=30, on_wait=messages.append):
        waited = time.monotonic() - started
    proc.wait()
    assert waited >= 0.5
    assert len(messages) == 1 and "waiting for warehouse" in messages[0]
