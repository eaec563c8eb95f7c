"""The same dbt build on DuckDB and on local Spark: wall time and peak memory of each.

Run: `.venv/bin/python benchmarks/engines.py --orders 1000000` (needs the Spark extra).
Generates the sample store at about `--orders` orders, ingests it into DuckDB, copies the raw
tables into Spark through the warehouse interface, then times `dbt build` (seeds + models) on
each engine in its own process. Peak memory is the highest summed RSS of that process and its
children (the Spark JVM included), sampled every 0.2 s. Prints the Spark/DuckDB ratios, so
users see where the crossover lies on their machine (`--orders 10000000` for the 10M scale).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retention.core.warehouse import copy_table  # noqa: E402
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402
from retention.ingest import ingest_path  # noqa: E402
from retention.sample_store import generate_store  # noqa: E402

DBT_PROJECT_DIR = ROOT / "dbt_project"
ORDERS_PER_CUSTOMER = 1.8  # the sample store's average over three years


@dataclass
class Measurement:
    """One timed build."""

    engine: str
    seconds: float
    peak_rss_bytes: int


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of `pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def timed_run(engine: str, args: list[str], env: dict[str, str]) -> Measurement:
    """Run a command, sampling its process tree's memory; fail loudly if it fails."""
    peak = 0
    began = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"dbt build on {engine} failed:\n{output.decode()[-4000:]}")
    return Measurement(engine, seconds, peak)


def dbt_build(target: str, work: Path) -> list[str]:
    """The dbt command both engines run."""
    dbt = Path(sys.executable).parent / "dbt"
    return [
        str(dbt), "build", "--target", target,
        "--resource-type", "seed", "--resource-type", "model",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / f"target_{target}"), "--log-path", str(work / f"logs_{target}"),
    ]  # fmt: skip


def prepare_duckdb(work: Path, orders: int, seed: int) -> tuple[Path, dict[str, int]]:
    """Generate and ingest the store once per scale (reused on later runs)."""
    db_path = work / "retention.duckdb"
    store = work / "store"
    if not db_path.exists():
        counts = generate_store(
            store, customers=max(100, int(orders / ORDERS_PER_CUSTOMER)), seed=seed
        )
        ingest_path(store, "canonical", db_path)
    with DuckDBWarehouse.open(db_path) as duck:
        counts = dict(duck.con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw'"
        ).fetchall())  # fmt: skip
    return db_path, counts


def copy_to_spark(db_path: Path, spark_dir: Path) -> float:
    """Copy every raw table into Spark schema `raw`; returns seconds. Releases the metastore."""
    from retention.core.warehouse.spark_warehouse import SparkWarehouse, spark_session, stop_spark

    os.environ["RETENTION_SPARK_DIR"] = str(spark_dir)
    began = time.perf_counter()
    spark = SparkWarehouse(spark_session())
    try:
        with DuckDBWarehouse.open(db_path) as duck:
            names = duck.con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
            for (name,) in names:
                copy_table(duck, spark, "raw", name, batch_rows=500_000)
    finally:
        stop_spark()
    return time.perf_counter() - began


def main() -> None:
    """Build once per engine at the chosen scale and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000, help="approximate orders")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=ROOT / "warehouse" / "bench_engines")
    options = parser.parse_args()
    work = (options.work / f"orders_{options.orders}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    db_path, counts = prepare_duckdb(work, options.orders, options.seed)
    print(f"store ready in {time.perf_counter() - began:.0f} s: raw rows {counts}")

    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "SPARK_LOCAL_IP": "127.0.0.1"}
    duck = timed_run(
        "duckdb", dbt_build("duckdb", work), {**env, "RETENTION_DUCKDB_PATH": str(db_path)}
    )

    spark_dir = work / "spark"
    copy_seconds = copy_to_spark(db_path, spark_dir)
    spark = timed_run(
        "spark", dbt_build("spark", work), {**env, "RETENTION_SPARK_DIR": str(spark_dir)}
    )

    print(f"orders (approx.): {options.orders:,}")
    for result in (duck, spark):
        print(
            f"{result.engine:7s} dbt build: {result.seconds:8.1f} s  "
            f"peak RSS {result.peak_rss_bytes / 2**20:8.0f} MiB"
        )
    print(f"copy raw DuckDB -> Spark (Arrow batches): {copy_seconds:.1f} s")
    print(
        f"ratio spark/duckdb: time {spark.seconds / duck.seconds:.2f}x, "
        f"memory {spark.peak_rss_bytes / duck.peak_rss_bytes:.2f}x"
    )


if __name__ == "__main__":
    main()
