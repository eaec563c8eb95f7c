"""Who owns a run, and whether that process still lives: liveness for stale-run recovery.

A run (a Dagster run, an `activation.sync_runs` row) records its owner as
`host:pid:start`, where `start` is the process start time in clock ticks since boot
(`/proc/<pid>/stat`), so a pid the kernel reused for another process does not count as alive.
An owner on another host is always taken as alive: only that host can tell.
"""

from __future__ import annotations

import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Owner:
    """A process on a host, identified across pid reuse by its start time."""

    host: str
    pid: int
    start: int | None

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{'' if self.start is None else self.start}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        """The Owner written as `host:pid:start`; None if `text` is not one."""
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit() or not (rest.isdigit() or rest == ""):
            return None
        return cls(host, int(pid), int(rest) if rest else None)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3 onwards); None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def start_ticks(pid: int) -> int | None:
    """Start time of process `pid` in clock ticks since boot; None without /proc or if gone."""
    fields = _stat(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def current() -> Owner:
    """This process as an Owner."""
    pid = os.getpid()
    return Owner(socket.gethostname(), pid, start_ticks(pid))


def alive(owner: Owner) -> bool:
    """Whether `owner` still runs: False only when this host can tell it is gone (or a zombie)."""
    if owner.host != socket.gethostname():
        return True
    if PROC.is_dir():
        fields = _stat(owner.pid)
        if fields is None or fields[0] in ("Z", "X"):
            return False
        return owner.start is None or int(fields[19]) == owner.start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe(pid: int) -> str:
    """`pid N (command line)` of a live process, for messages about who holds something."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return f"pid {pid}"
    words = [Path(w).name if i == 0 else w for i, w in enumerate(raw.decode().split("\0")) if w]
    return f"pid {pid} ({' '.join(words[:4])})" if words else f"pid {pid}"


def children(pid: int | None = None) -> list[int]:
    """Pids of the direct children of `pid` (default this process), from /proc."""
    parent = os.getpid() if pid is None else pid
    found = []
    for entry in PROC.glob("[0-9]*") if PROC.is_dir() else []:
        fields = _stat(int(entry.name))
        if fields and len(fields) > 1 and int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def kill_children() -> list[int]:
    """SIGKILL every child of this process (dbt, ...) so nothing writes after it; their pids."""
    killed = []
    for pid in children():
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    return killed


def started_at(pid: int) -> float | None:
    """Wall-clock start (epoch seconds) of process `pid`; None if unknown or gone."""
    ticks = start_ticks(pid)
    if ticks is None:
        return None
    try:
        boot = next(
            float(line.split()[1])
            for line in (PROC / "stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")
