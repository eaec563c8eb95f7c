"""`dg` (dagster-dg-cli) finds the project from `[tool.dg]` and loads its definitions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.pipeline import INSTANCE_SETTINGS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration_dev")]
ROOT = Path(__file__).resolve().parents[2]


def test_dg_check_defs_loads_the_code_location(tmp_path: Path) -> None:
    shutil.copy(INSTANCE_SETTINGS, tmp_path / "dagster.yaml")
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        [str(bin_dir / "dg"), "check", "defs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "All definitions loaded successfully" in done.stdout + done.stderr
