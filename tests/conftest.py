"""Suite-wide settings: no telemetry, no network beyond 127.0.0.1, dbt from this venv."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.demo import DemoSummary, SilentTracker, run_demo

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--no-dbt-parse`: for `make test-fast`, whose unit tests need no dbt manifest."""
    parser.addoption(
        "--no-dbt-parse",
        action="store_true",
        help="do not parse the dbt project first (tests that load the Dagster definitions fail)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once before any test imports the Dagster definitions.

    Importing `orchestration.definitions` never parses; every worker waits on the parse lock
    and the first one writes the manifest (whose saved parse `tests/dbt_command.py` reuses).
    """
    if config.getoption("--no-dbt-parse"):
        return
    from orchestration.defs.dbt.project import prepare_dbt_project

    prepare_dbt_project()


# `pytest -n 2 --dist loadgroup --no-loadscope-reorder` hands out work units (an xdist group, or
# one test) in collection order. The longest go first, so the two workers finish together instead
# of one running a 4-minute build alone at the end (longest processing time first). Measured with
# `make test` (--durations); a unit missing here only runs later, it is never skipped.
LONGEST_FIRST = (
    "spark",
    "tests/orchestration/test_killed_build.py",
    "report",
    "realdata_cdnow",
    "realdata_retail",
    "realdata_shopify",
    "soak_kill9",
    "orchestration_dev",
    "tests/ux/test_dbt_failures.py",
    "audiences",
    "tests/cli/test_demo_interrupt.py",
    "warehouse_incremental",
    "consent_ledger_e2e",
    "ml_sample",
)


def _work_unit(item: pytest.Item) -> str:
    group = item.get_closest_marker("xdist_group")
    return group.args[0] if group and group.args else item.nodeid.split("::")[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest work units first (LONGEST_FIRST), then other slow tests, then the rest."""

    def rank(item: pytest.Item) -> int:
        unit = _work_unit(item)
        if unit in LONGEST_FIRST:
            return LONGEST_FIRST.index(unit)
        return len(LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=rank)


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` (read-only design, vendor specs and public data); skip if absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: shared design files are needed for this test")
    return SHARED


# One small pipeline run (sample -> ingest -> Dagster full_pipeline -> syncs to the emulators ->
# report), built once per test session through the same `run_demo` that `retention demo` runs.
# Under pytest-xdist the first worker that needs it builds it while holding a file lock in the
# session's shared temp folder; other workers wait and reuse it. Tests that change the warehouse
# work on a copy. Its users share the xdist group "report" so one worker builds it while the
# other runs the rest of the suite.
PIPELINE_CUSTOMERS = 1_500


@dataclass(frozen=True)
class Pipeline:
    """The finished run: its warehouse, report and summary."""

    db_path: Path
    report_path: Path
    summary: DemoSummary


def _build(root: Path) -> DemoSummary:
    """Run the demo into `root`, leaving this process's environment as it was."""
    from orchestration.defs.dbt.resources import BuildOptions
    from retention.core.settings import DBT_PROJECT_DIR

    db_path = root / "warehouse.duckdb"
    # dbt's folder for this warehouse path may hold logs of an earlier session's run with the
    # same temp path; the build starts from none, as on a fresh clone
    shutil.rmtree(BuildOptions().dbt_target_path(DBT_PROJECT_DIR, db_path), ignore_errors=True)
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
            db_path=db_path,
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
