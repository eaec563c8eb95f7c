"""Ctrl-C during the demo's Dagster run prints one line, not Dagster's KeyboardInterrupt trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

RETENTION = str(Path(sys.executable).parent / "retention")


def _wait_for_line(demo: subprocess.Popen, start: str) -> list[str]:
    """The demo's stdout lines up to the first one starting with `start`."""
    lines: list[str] = []
    while not lines or not lines[-1].startswith(start):
        line = demo.stdout.readline()
        assert line, ("".join(lines), demo.communicate())
        lines.append(line)
    return lines


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
    # off a terminal the demo prints one line per finished step, also of the Dagster run
    before = _wait_for_line(demo, "  ingest_raw done")  # the Dagster run is under way
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=60)
    out = "".join(before) + out
    assert demo.returncode == 128 + signal.SIGINT, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by SIGINT"), err
    assert "marked failed" in lines[0]
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert "done: Generate sample store" in out
