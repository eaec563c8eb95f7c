"""Benchmark: build all warehouse marts with dbt vs the same compiled SQL run directly in DuckDB.

Generates a synthetic store straight in DuckDB (range() + random), runs `dbt build` of the
seeds and models (no tests, audiences excluded) in a subprocess, then replays the compiled SQL of
every model in dependency order with the duckdb Python client, and prints wall times, peak
memory and the dbt/direct ratio.

    .venv/bin/python benchmarks/warehouse.py --customers 1000000 --orders 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = ROOT / "dbt_project"
PRODUCTS = 2_000


def generate_store(db_path: Path, customers: int, orders: int) -> None:
    """Create the seven raw tables with synthetic rows sized by customers and orders."""
    con = duckdb.connect(str(db_path))
    con.execute("set threads = 2")
    con.execute("create schema raw")
    lineage = (
        "'bench.csv' as _source_file, 1::bigint as _source_line, now()::timestamp as _loaded_at"
    )
    con.execute(f"""
        create table raw.customers as
        select 'c' || i as customer_id, 'user' || i || '@example.com' as email,
            '07' || lpad((i % 1000000000)::varchar, 9, '0') as phone, 'first' as first_name,
            'last' as last_name, ['GB', 'US', 'DE', 'FR'][1 + i % 4] as country, 'city' as city,
            date '1970-01-01' + (i % 15000)::int as birth_date,
            timestamp '2020-01-01' + to_seconds((i % 1400) * 86400) as signed_up_at,
            'organic' as acquisition_channel,
            ['subscribed', 'unsubscribed', 'not_subscribed'][1 + i % 3] as email_consent,
            ['subscribed', 'not_subscribed'][1 + i % 2] as sms_consent,
            'not_subscribed' as whatsapp_consent, null::varchar as preferred_channel, {lineage}
        from range({customers}) t(i)""")
    con.execute(f"""
        create table raw.products as
        select 'p' || i as product_id, 'Product ' || i as name,
            'cat' || (i % 20) as category, (5 + i % 95)::decimal(18, 2) as list_price, {lineage}
        from range({PRODUCTS}) t(i)""")
    con.execute(f"""
        create table raw.orders as
        select 'o' || i as order_id, 'c' || (hash(i) % {customers}) as customer_id,
            timestamp '2021-01-01' + to_seconds((hash(i * 7) % (1460 * 86400))::bigint)
                as ordered_at,
            case when i % 20 = 0 then 'cancelled' when i % 25 = 0 then 'returned'
                 else 'delivered' end as status,
            'USD' as currency, (20 + i % 180)::decimal(18, 2) as subtotal,
            (case when i % 4 = 0 then 5 else 0 end)::decimal(18, 2) as discount_amount,
            5::decimal(18, 2) as shipping_amount,
            (20 + i % 180 - case when i % 4 = 0 then 5 else 0 end + 5)::decimal(18, 2) as total,
            case when i % 4 = 0 then 'SAVE5' end as discount_code,
            null::timestamp as shipped_at, null::timestamp as delivered_at, {lineage}
        from range({orders}) t(i)""")
    # 1-3 lines per order; popular products (skewed) so some pairs pass the affinity support
    con.execute(f"""
        create table raw.order_items as
        select 'o' || i as order_id,
            'p' || (floor(pow(random(), 3) * {PRODUCTS})::int + line * 7) % {PRODUCTS}
                as product_id,
            1 + (i % 2)::int as quantity, (10 + i % 90)::decimal(18, 2) as unit_price,
            (12 + i % 90)::decimal(18, 2) as list_price, ['S', 'M', 'L'][1 + line] as size,
            {lineage}
        from range({orders}) t(i), range(3) l(line)
        where line <= i % 3""")
    con.execute(f"""
        create table raw.events as
        select 'c' || (hash(i) % {customers}) as customer_id,
            ['email_open', 'email_click', 'site_visit', 'sms_click'][1 + i % 4] as event_type,
            timestamp '2024-06-01' + to_seconds((hash(i * 3) % (210 * 86400))::bigint)
                as occurred_at,
            ['email', 'email', 'web', 'sms'][1 + i % 4] as channel, null::varchar as product_id,
            null::json as properties, {lineage}
        from range({customers * 3}) t(i)""")
    con.execute(f"""
        create table raw.feedback as
        select 'c' || (hash(i) % {customers}) as customer_id, null::varchar as order_id,
            timestamp '2022-01-01' + to_seconds((hash(i * 5) % (1000 * 86400))::bigint)
                as submitted_at,
            (i % 11)::int as nps_score, (1 + i % 5)::int as csat_score, null::varchar as comment,
            {lineage}
        from range({customers // 5}) t(i)""")
    con.execute(f"""
        create table raw.shipment_events as
        select 'o' || i as order_id, ['in_transit', 'delivered'][1 + s] as status,
            timestamp '2021-01-01'
                + to_seconds((hash(i * 7) % (1460 * 86400))::bigint + 86400 * (2 + 3 * s))
                as occurred_at,
            'ups' as carrier, 'T' || i as tracking_number, {lineage}
        from range(0, {orders}, 3) t(i), range(2) s(s)""")
    con.close()


def run_dbt(db_path: Path, work_dir: Path, command: str) -> float:
    """Run `dbt <command>` (seeds and models, no audiences, no tests); return wall seconds."""
    args = [
        str(Path(sys.executable).parent / "dbt"), command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        "--exclude", "path:models/audiences", "resource_type:test", "resource_type:unit_test",
    ]  # fmt: skip
    env = {
        **os.environ,
        "RETENTION_DUCKDB_PATH": str(db_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    started = time.perf_counter()
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt {command} failed:\n{result.stdout[-4000:]}")
    return elapsed


def replay_compiled_models(db_path: Path, manifest_path: Path) -> tuple[float, dict[str, float]]:
    """Run every model's compiled SQL directly in DuckDB, parents first.

    Returns total wall seconds and seconds per model.
    """
    manifest = json.loads(manifest_path.read_text())
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and "audiences" not in node["original_file_path"]
    }
    graph = {
        uid: [d for d in node["depends_on"]["nodes"] if d in models] for uid, node in models.items()
    }
    con = duckdb.connect(str(db_path))
    con.execute("set threads = 2")
    per_model: dict[str, float] = {}
    started = time.perf_counter()
    for uid in TopologicalSorter(graph).static_order():
        node = models[uid]
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        model_started = time.perf_counter()
        con.execute(f"create or replace {kind} {relation} as {node['compiled_code']}")
        per_model[node["name"]] = time.perf_counter() - model_started
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, per_model


def main() -> None:
    """Generate, build with dbt, replay the compiled SQL, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warehouse_bench_") as tmp:
        work_dir = Path(tmp)
        db_path = work_dir / "bench.duckdb"
        started = time.perf_counter()
        generate_store(db_path, options.customers, options.orders)
        generate_seconds = time.perf_counter() - started
        dbt_seconds = run_dbt(db_path, work_dir, "build")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        run_dbt(db_path, work_dir, "compile")
        direct_seconds, per_model = replay_compiled_models(
            db_path, work_dir / "target" / "manifest.json"
        )
        with duckdb.connect(str(db_path), read_only=True) as con:
            counts = {
                table: con.execute(f"select count(*) from marts.{table}").fetchone()[0]
                for table in ("dim_customers", "fct_orders", "customer_rfm", "product_affinity")
            }
    print(f"customers={options.customers:,} orders={options.orders:,} (2 threads)")
    print(f"generate raw tables:            {generate_seconds:8.1f} s")
    print(f"dbt build (seeds + all models): {dbt_seconds:8.1f} s  peak RSS {peak_mib:,.0f} MiB")
    print(f"same compiled SQL in DuckDB:    {direct_seconds:8.1f} s")
    print(f"dbt / direct ratio:             {dbt_seconds / direct_seconds:8.2f}x (target < 1.5x)")
    slowest = sorted(per_model.items(), key=lambda item: -item[1])[:5]
    print("slowest models (direct): " + ", ".join(f"{n} {s:.1f}s" for n, s in slowest))
    print("rows: " + ", ".join(f"{table}={count:,}" for table, count in counts.items()))


if __name__ == "__main__":
    main()
