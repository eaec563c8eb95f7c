"""Ctrl-C and SIGTERM end a CLI run promptly: children killed, runs marked, one line, exit 130/143.

Dagster swallows SIGINT/SIGTERM while it executes a run in the main thread (it only checks for
them between steps), so `retention build` used to ignore SIGTERM for as long as dbt ran. The
CLI therefore executes the run in a worker thread and keeps the signals for itself: on one it
SIGKILLs its child processes and theirs (dbt and its helpers) so nothing writes after it,
marks its own Dagster runs failed and its sync runs interrupted, prints one line and exits at
once (the kernel releases the warehouse lock; the next run resumes what was left pending).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.control import Control
from rich.segment import ControlType

from retention.core import process

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
CHILD_EXIT_SECONDS = 3.0
# the live progress bar's line erased and the cursor it hid shown again
CLEAR_LIVE_LINE = "".join(
    str(control)
    for control in (
        Control.move_to_column(0),
        Control((ControlType.ERASE_IN_LINE, 2)),
        Control.show_cursor(True),
    )
)


def _await_exit(pids: list[int]) -> None:
    """Wait (bounded) until the killed `pids` no longer run, so their files are closed."""
    deadline = time.monotonic() + CHILD_EXIT_SECONDS
    owners = [process.Owner(process.current().host, pid, None) for pid in pids]
    while any(process.alive(o) for o in owners) and time.monotonic() < deadline:
        time.sleep(0.05)


def _tracker_pid() -> int | None:
    """Pid of this process's multiprocessing resource tracker (dbt's manifest creates locks).

    It is killed last: killed first, the next lock this process frees relaunches it and the new
    one prints a KeyError traceback; left alive, it warns about leaked semaphores once we exit.
    """
    from multiprocessing import resource_tracker

    return getattr(resource_tracker._resource_tracker, "_pid", None)


def _kill_descendants(spare: int | None = None) -> list[int]:
    """SIGKILL this process's children and theirs (dbt and the helpers it started), except
    `spare`; their pids."""
    pending, found = [pid for pid in process.children() if pid != spare], []
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(process.children(pid))
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return found


def _mark_own_runs(db: Path | None, reason: str) -> str:
    """Fail this process's Dagster runs and interrupt its sync runs; what was marked."""
    from activation import state
    from orchestration import runs
    from orchestration.pipeline import dagster_instance
    from retention.core import lock as warehouse_lock

    marked = []
    try:
        instance = dagster_instance()
        own = runs.own_runs(instance)
        runs.fail_runs(instance, own, f"interrupted by {reason} of the retention command")
        marked += [f"Dagster run {run_id[:8]} marked failed" for run_id in own]
    except Exception as exc:  # the next command marks them by liveness
        marked.append(f"Dagster runs left for the next command to mark ({exc.__class__.__name__})")
    if db is not None and db.exists():
        try:
            with warehouse_lock.connect(db) as con:
                rows = state.interrupt_runs(con, dead=False, message=f"interrupted by {reason}")
            marked += [f"sync run {r[0][:8]} of {r[1]} marked interrupted" for r in rows]
        except Exception as exc:
            marked.append(f"sync runs left for the next command to mark ({exc.__class__.__name__})")
    return "; ".join(marked) or "nothing was running yet"


def run_interruptible(work: Callable[[], T], *, db: Path | None = None) -> T:
    """Run `work()` in a worker thread; on SIGINT/SIGTERM stop everything as described above.

    `db` is the warehouse whose sync runs this process may have left `running`.
    """
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the calling thread
            box["error"] = exc

    def stop(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        tracker = _tracker_pid()
        _await_exit(_kill_descendants(spare=tracker))
        detail = _mark_own_runs(db, name)
        line = f"error: interrupted by {name}: {detail}; the next run resumes from here\n"
        if os.isatty(1):  # a live progress display hid the cursor and cannot stop cleanly now
            os.write(1, CLEAR_LIVE_LINE.encode())
        os.write(2, line.encode())  # sys.stderr may point at the run's log file
        if tracker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(tracker, signal.SIGKILL)
        os._exit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        return work()  # signals only reach the main thread: nothing to handle here
    previous = {sig: signal.signal(sig, stop) for sig in SIGNALS}
    worker = threading.Thread(target=target, name="retention-run", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
