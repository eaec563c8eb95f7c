"""One small pipeline run (sample -> ingest -> Dagster build -> sync to emulators -> report).

Built once per test session through the same `run_demo` the `retention demo` command runs.
Under pytest-xdist the first worker that needs it builds it while holding a file lock in the
session's shared temp folder; other workers wait and reuse it, so it is built once even when
the `report` group's tests land on several workers.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.demo import DemoSummary, SilentTracker, run_demo

PIPELINE_CUSTOMERS = 1_500


@dataclass(frozen=True)
class Pipeline:
    """The finished run: its warehouse, report and summary."""

    db_path: Path
    report_path: Path
    summary: DemoSummary


def _build(root: Path) -> DemoSummary:
    """Run the demo into `root`, leaving this process's environment as it was."""
    saved = dict(os.environ)
    os.environ["RETENTION_ARTIFACTS_DIR"] = str(root / "artifacts")
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        return run_demo(
            customers=PIPELINE_CUSTOMERS,
            seed=7,
            tracker=SilentTracker(),
            data_dir=root / "store",
            report_path=root / "report.html",
            db_path=root / "warehouse.duckdb",
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Pipeline:
    """The demo run on ~1,500 customers in a temp folder shared by this session's workers."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "report_pipeline"
    root.mkdir(exist_ok=True)
    done = root / "summary.json"
    with (root / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():
            summary = DemoSummary(**json.loads(done.read_text()))
        else:
            summary = _build(root)
            done.write_text(json.dumps(dataclasses.asdict(summary)))
    return Pipeline(Path(summary.duckdb_path), Path(summary.report_path), summary)
