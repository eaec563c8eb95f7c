"""Ctrl-C during the demo's Dagster run prints one line, not Dagster's KeyboardInterrupt trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retention.core import process

pytestmark = [pytest.mark.slow]

RETENTION = str(Path(sys.executable).parent / "retention")


def _wait_for_dbt(demo: subprocess.Popen, timeout: float = 600) -> None:
    """Return once the demo's Dagster run has started dbt."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert demo.poll() is None, demo.communicate()
        if any("dbt" in process.describe(pid) for pid in process.children(demo.pid)):
            return
        time.sleep(0.2)
    raise AssertionError("the demo never started dbt")


def test_ctrl_c_in_the_demo_prints_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "COLUMNS": "1000",
    }
    demo = subprocess.Popen(
        [RETENTION, "demo", "--customers", "100"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_dbt(demo)
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=60)
    assert demo.returncode == 128 + signal.SIGINT, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by SIGINT"), err
    assert "marked failed" in lines[0]
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert "done: Generate sample store" in out  # off a terminal: one line per finished step
