"""One small pipeline run (sample -> ingest -> Dagster build -> sync to emulators -> report).

Built once per session through the same `run_demo` the `retention demo` command runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """Run the demo on ~1,500 customers into a temp warehouse; restore the environment after."""
    root = tmp_path_factory.mktemp("report_pipeline")
    saved = dict(os.environ)
    os.environ["RETENTION_ARTIFACTS_DIR"] = str(root / "artifacts")
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        summary = run_demo(
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
    yield Pipeline(Path(summary.duckdb_path), Path(summary.report_path), summary)
