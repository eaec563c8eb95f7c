"""Run the dbt CLI of this venv on the project against one DuckDB file, for test fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def dbt(command: str, db_path: Path, work_dir: Path, *args: str) -> None:
    """`dbt <command> <args>` on `db_path` in a subprocess (which releases the DuckDB file when
    done), with its target and logs under `work_dir`; fails the test with dbt's output."""
    argv = [
        str(Path(sys.executable).parent / "dbt"), command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        *args,
    ]  # fmt: skip
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db_path)}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(
            f"dbt {command} failed on {db_path}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
        )
