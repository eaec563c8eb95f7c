"""Run the dbt CLI of this venv on the project against one DuckDB file, for test fixtures.

dbt re-parses the whole project (~10 s) unless the saved parse in its target folder was made
with the same `--vars`, target and profile, and the profile holds the DuckDB path. So each call
runs on the file moved to `warehouse/retention.duckdb` in a per-worker slot, from the slot's
`dbt_project/` folder: the profile's default path (`../warehouse/retention.duckdb`) then names
it, exactly as in the `dbt parse` the suite runs at start, whose saved parse the slot starts from.
Every call of a session (and of later sessions) then skips parsing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from filelock import FileLock

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# dbt-duckdb names the catalog after the file, and views keep catalog-qualified names, so a
# fixture warehouse is always called this (the profile's default file name).
WAREHOUSE_NAME = "retention.duckdb"
PARSE_FILE = "partial_parse.msgpack"


def _slot() -> Path:
    """This worker's folder for dbt runs (per checkout, kept between sessions)."""
    checkout = hashlib.sha1(str(DBT_PROJECT_DIR).encode()).hexdigest()[:10]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return Path(tempfile.gettempdir()) / f"retention-test-dbt-{checkout}" / worker


def _vars_key(args: tuple[str, ...]) -> str:
    """A folder name per `--vars` value: dbt keeps one saved parse per set of vars."""
    dbt_vars = args[args.index("--vars") + 1] if "--vars" in args else ""
    return "target-" + hashlib.sha1(dbt_vars.encode()).hexdigest()[:10] if dbt_vars else "target"


def dbt(command: str, db_path: Path, work_dir: Path, *args: str) -> None:
    """`dbt <command> <args>` on `db_path` (named retention.duckdb) in a subprocess (which
    releases the file when done), logs under `work_dir`; fails the test with dbt's output."""
    assert db_path.name == WAREHOUSE_NAME, f"fixture warehouses are named {WAREHOUSE_NAME}"
    slot = _slot()
    (slot / "dbt_project").mkdir(parents=True, exist_ok=True)
    (slot / "warehouse").mkdir(exist_ok=True)
    target = slot / _vars_key(args)
    saved = DBT_PROJECT_DIR / "target" / PARSE_FILE
    argv = [
        str(Path(sys.executable).parent / "dbt"), command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(work_dir / "logs"),
        *args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "RETENTION_DUCKDB_PATH"}
    with FileLock(slot / ".lock"):  # another session of this checkout may use the slot
        if target.name == "target" and saved.is_file() and not (target / PARSE_FILE).is_file():
            target.mkdir(exist_ok=True)
            shutil.copy(saved, target / PARSE_FILE)
        parked = slot / "warehouse" / WAREHOUSE_NAME
        wal = parked.with_name(WAREHOUSE_NAME + ".wal")
        wal.unlink(missing_ok=True)  # left by a killed run on another file
        shutil.move(db_path, parked)
        try:
            done = subprocess.run(
                argv, cwd=slot / "dbt_project", env=env, capture_output=True, text=True
            )
        finally:
            shutil.move(parked, db_path)
            if wal.exists():
                shutil.move(wal, db_path.with_name(wal.name))
    if done.returncode != 0:
        raise AssertionError(
            f"dbt {command} failed on {db_path}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
        )
