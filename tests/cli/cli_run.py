"""Run the `retention` console script in a subprocess and check its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RETENTION = str(Path(sys.executable).parent / "retention")


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300, cwd: Path | None = None
):
    """`retention *args` with the current environment plus `env`; text output captured."""
    merged = {**os.environ, **(env or {})}
    return subprocess.run(
        [RETENTION, *args], env=merged, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def assert_error_after_wait_notice(done: subprocess.CompletedProcess, exit_code: int, *fragments):
    """Like `assert_one_line_error`, after a notice saying what the command waited for (a
    writer outside the lock protocol gets a grace period before the one-line error)."""
    notice, _, error = done.stderr.strip().rpartition("\n")
    assert "waiting up to" in notice and "locked by process" in notice, done.stderr
    assert done.returncode == exit_code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert error.startswith("error: "), error
    for fragment in fragments:
        assert fragment in error, (fragment, error)
    return error


def assert_one_line_error(done: subprocess.CompletedProcess, exit_code: int, *fragments: str):
    """Exit code as given, stderr is a single `error: ...` line holding every fragment."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == exit_code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
