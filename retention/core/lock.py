"""One writer at a time on the DuckDB warehouse, across processes.

DuckDB lets one process open a file read-write, and no other process may open it at all while it
does. Every step that writes (ingest, dbt, ML, syncs) takes the exclusive lock on
`<warehouse>.lock` (POSIX `flock`) before connecting; readers take the shared lock. A second
`retention build` therefore waits for the first instead of failing on DuckDB's own lock.

The lock is re-entrant per process: the CLI holds it for a whole run while the steps it executes
in-process take it again. The kernel releases a `flock` when its holder dies, so a killed run
never leaves the warehouse locked; the lock file names the holder (pid, command, since when) for
the one line a waiting process prints. A child that writes (dbt) dies with its parent
(`retention.core.leash`), and DuckDB's own file lock is the backstop: a connection that meets it
right after a holder died waits `DUCKDB_GRACE_SECONDS` for the dying process to let go.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retention.core.duckdb_memory import apply_memory_settings
from retention.core.errors import UserError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 0.2
DUCKDB_GRACE_SECONDS = 10.0


class WarehouseLockedError(UserError):
    """Another process kept the warehouse busy for longer than the lock timeout."""


@dataclass
class _Held:
    fd: int
    exclusive: bool
    depth: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def lock_path(db_path: Path) -> Path:
    """The lock file that guards `db_path`."""
    return db_path.with_name(db_path.name + ".lock")


def lock_timeout() -> float:
    """Seconds to wait for the warehouse: env `RETENTION_LOCK_TIMEOUT`, default one hour."""
    raw = os.environ.get("RETENTION_LOCK_TIMEOUT", "")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise UserError(
            f"RETENTION_LOCK_TIMEOUT={raw!r} is not a number of seconds; unset it or set e.g. 600"
        ) from None


@contextmanager
def write_lock(
    db_path: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the exclusive warehouse lock; waits up to `timeout` seconds for other processes."""
    with _lock(db_path, exclusive=True, timeout=timeout, on_wait=on_wait):
        yield


@contextmanager
def read_lock(
    db_path: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the shared warehouse lock (many readers, no writer in another process)."""
    with _lock(db_path, exclusive=False, timeout=timeout, on_wait=on_wait):
        yield


@contextmanager
def _lock(
    db_path: Path,
    *,
    exclusive: bool,
    timeout: float | None,
    on_wait: Callable[[str], None] | None,
) -> Iterator[None]:
    key = db_path.resolve()
    with _guard:
        held = _held.get(key)
        if held is not None:
            if exclusive and not held.exclusive:
                raise RuntimeError(f"cannot upgrade the shared warehouse lock on {key} to write")
            held.depth += 1
    if held is not None:
        try:
            yield
        finally:
            _release(key)
        return

    fd = _acquire(key, exclusive, lock_timeout() if timeout is None else timeout, on_wait)
    with _guard:
        _held[key] = _Held(fd=fd, exclusive=exclusive, depth=1)
    try:
        yield
    finally:
        _release(key)


def _acquire(
    db_path: Path, exclusive: bool, timeout: float, on_wait: Callable[[str], None] | None
) -> int:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseLockedError(
                    f"warehouse {db_path} is busy: {_holder(path)} has held it for more than "
                    f"{timeout:.0f}s; wait for it to finish, or raise RETENTION_LOCK_TIMEOUT"
                ) from None
            if not announced:
                message = f"waiting for warehouse {db_path}: in use by {_holder(path)}"
                log.info(message)
                if on_wait is not None:
                    on_wait(message)
                announced = True
            time.sleep(POLL_SECONDS)
    if exclusive:
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        command = " ".join(
            Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv[:2])
        )
        os.pwrite(fd, f"pid {os.getpid()} ({command}) since {since}".encode(), 0)
    return fd


def _release(key: Path) -> None:
    with _guard:
        held = _held[key]
        held.depth -= 1
        if held.depth:
            return
        del _held[key]
    if held.exclusive:
        os.ftruncate(held.fd, 0)
    fcntl.flock(held.fd, fcntl.LOCK_UN)
    os.close(held.fd)


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


_DUCKDB_LOCK_PID = re.compile(r"PID (\d+)")


def duckdb_lock_message(db_path: Path, exc: duckdb.Error) -> str | None:
    """One-line explanation of DuckDB's own lock conflict on `db_path`; None if `exc` isn't one.

    Seen when a process that does not take the warehouse lock (an IDE, a `duckdb` shell) holds
    the file open for writing.
    """
    text = str(exc)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return None
    match = _DUCKDB_LOCK_PID.search(text)
    holder = f"process {match.group(1)}" if match else "another process"
    return (
        f"the warehouse {db_path} is locked by {holder} (a build, sync, Dagster run or an open "
        "DuckDB shell is writing to it): wait for it to finish or stop it, then run the command "
        "again"
    )


@contextmanager
def connect(
    db_path: Path,
    *,
    read_only: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection held under the warehouse lock (shared when read-only), closed on exit.

    A conflicting lock from a process outside this protocol becomes WarehouseLockedError.
    """
    lock = read_lock if read_only else write_lock
    with lock(db_path, on_wait=on_wait):
        con = _open(db_path, read_only, on_wait)
        try:
            yield con
        finally:
            con.close()


def _open(
    db_path: Path, read_only: bool, on_wait: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    """Connect, waiting up to DUCKDB_GRACE_SECONDS while DuckDB's own lock is held elsewhere
    (a killed holder's child still exiting); then WarehouseLockedError in one line."""
    deadline = time.monotonic() + DUCKDB_GRACE_SECONDS
    announced = False
    while True:
        try:
            return apply_memory_settings(duckdb.connect(str(db_path), read_only=read_only))
        except duckdb.IOException as exc:
            message = duckdb_lock_message(db_path, exc)
            if message is None:
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(message) from exc
            if not announced:
                text = (
                    f"waiting up to {DUCKDB_GRACE_SECONDS:.0f}s for warehouse {db_path}: {message}"
                )
                log.info(text)
                if on_wait is not None:
                    on_wait(text)
                announced = True
            time.sleep(POLL_SECONDS)
