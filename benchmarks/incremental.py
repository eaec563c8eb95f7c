"""Benchmark: no-change and one-small-batch `dbt build` vs a full refresh, on the sample store.

Generates the sample store (retention.sample_store, default 10,000 customers like `make demo`),
ingests it, builds it once, then times in the same run: a `dbt build` with nothing new, one after
appending a small batch (the last day's orders re-exported as cancelled, new shipment events),
and a `dbt build --full-refresh` of the same data: wall time and dbt's own time for the
incremental models (stg_shop__orders ... fct_order_items; also reported for a project where they
are views and tables). Each build runs every model and data test but
not the audiences (their syncs are not measured here); whether dbt's saved parse was reused is
read from its log. `--project-dir` measures another copy of the project (e.g. the main branch's,
`git archive main dbt_project | tar -x -C /tmp/main`).

    .venv/bin/python benchmarks/incremental.py --customers 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import duckdb

from retention.ingest import ingest_path
from retention.sample_store import generate_store

ROOT = Path(__file__).resolve().parent.parent
SELECTION = ("--exclude", "path:models/audiences")
INCREMENTAL_MODELS = {
    "stg_shop__orders", "stg_shop__order_items", "stg_shop__shipment_events", "stg_shop__events",
    "stg_shop__feedback", "fct_orders", "fct_order_items",
}  # fmt: skip


class Build(NamedTuple):
    """One timed `dbt build`."""

    seconds: float  # wall time of the dbt process
    incremental_seconds: float  # dbt's own time for the incremental models
    parse_reused: bool


def run_dbt(project_dir: Path, db_path: Path, work_dir: Path, *args: str) -> Build:
    """`dbt build <args>` on db_path, timed."""
    argv = [
        str(Path(sys.executable).parent / "dbt"), "build",
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        *SELECTION, *args,
    ]  # fmt: skip
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(db_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    log = work_dir / "logs" / "dbt.log"
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt build {' '.join(args)} failed:\n{result.stdout[-4000:]}")
    reparsed = "Unable to do partial parsing" in log.read_text() if log.exists() else True
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    incremental = sum(
        result["execution_time"]
        for result in results
        if result["unique_id"].split(".")[-1] in INCREMENTAL_MODELS
    )
    return Build(elapsed, incremental, not reparsed)


def append_small_batch(db_path: Path) -> int:
    """Append, as a new load, the last day's orders re-exported as cancelled and a delivered
    shipment event for each; returns the number of orders."""
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "create temp table batch as select * from raw.orders"
            " where ordered_at >= (select max(ordered_at) - interval 1 day from raw.orders)"
        )
        con.execute(
            "insert into raw.orders select * replace ('cancelled' as status, 'batch.csv' as"
            " _source_file, now()::timestamp as _loaded_at) from batch"
        )
        con.execute(
            "insert into raw.shipment_events (order_id, status, occurred_at, carrier,"
            " _source_file, _source_line, _loaded_at) select order_id, 'delivered',"
            " ordered_at + interval 1 hour, 'bench', 'batch.csv', 1, now() from batch"
        )
        return con.execute("select count(*) from batch").fetchone()[0]


def main() -> None:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--project-dir", type=Path, default=ROOT / "dbt_project")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="retention-incremental-") as tmp:
        work = Path(tmp)
        db_path = work / "retention.duckdb"
        generate_store(work / "csv", customers=options.customers)
        ingest_path(work / "csv", db_path=db_path)
        project = options.project_dir.resolve()
        timings = {
            "first build": run_dbt(project, db_path, work),
            "no-change build": run_dbt(project, db_path, work),
        }
        batch = append_small_batch(db_path)
        timings[f"build after {batch} changed orders"] = run_dbt(project, db_path, work)
        timings["full refresh, same data"] = run_dbt(project, db_path, work, "--full-refresh")
    print(f"project {project}, {options.customers} customers")
    for name, build in timings.items():
        parse = "saved parse reused" if build.parse_reused else "full parse"
        print(
            f"{name:>40}: {build.seconds:6.1f} s, incremental models"
            f" {build.incremental_seconds:5.1f} s ({parse})"
        )


if __name__ == "__main__":
    main()
