"""Benchmark the activation engine.

1. Sync a 100k-member audience to the Klaviyo emulator, which enforces Klaviyo's documented
   per-endpoint limits (the client runs at the same documented limits). Report throughput as a
   share of the documented ceiling for the write endpoints used:
   - steady ceiling: bulk import 150/min x 10,000 profiles and bulk subscribe 750/min x 1,000
     profiles, both needed per new member -> 1 / (1/25,000 + 1/12,500) = 8,333 profiles/s
     when a client waits for each import before subscribing (the issue's target: over 80%);
   - pipelined ceiling: imports and subscribes have separate buckets, so a client overlapping
     them is bound by the slower one -> min(25,000, 12,500) = 12,500 profiles/s;
   - burst-aware floor: the least time Klaviyo's token buckets (burst, then steady) allow for
     the exact write requests sent.
   Reads: the opt-out read-back is by what changed (a few requests per run), so the read count
   stays flat; the unchanged rerun reports its reads and time (target: under 10 s).
2. Diff time for 1M rows against 1M synced records with 1% changed.

Usage: .venv/bin/python benchmarks/sync.py [--members 100000] [--diff-rows 1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

from activation.config import load_syncs
from activation.destinations.klaviyo import KlaviyoDestination
from activation.diff import plan_changes, stage_audience
from activation.emulators import running_emulators
from activation.engine import run_sync

MODEL = "aud_bench"
SYNC_YML = """
version: 2
models:
  - name: aud_bench
    config:
      meta:
        activation:
          syncs:
            - name: bench_klaviyo
              destination: klaviyo
              target: Benchmark
              mode: mirror
              channel: email
              identifiers: {email: email, external_id: customer_id}
              fields: {first_name: first_name, clv_tier: clv_tier}
exposures:
  - name: bench_klaviyo
    type: application
    owner: {name: Bench, email: bench@example.com}
    depends_on: [ref('aud_bench')]
"""
ENDPOINT_BUCKETS = {
    "/api/profile-bulk-import-jobs": "bulk_import",
    "/api/profile-subscription-bulk-create-jobs": "subscribe",
}


def make_audience(con: duckdb.DuckDBPyConnection, n: int) -> None:
    """`audiences.aud_bench` with n consented members."""
    con.execute("CREATE SCHEMA IF NOT EXISTS audiences")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE audiences.{MODEL} AS
        SELECT printf('c%08d', i) AS customer_id, printf('member%d@example.com', i) AS email,
               printf('+1555%07d', i) AS phone, printf('First%d', i) AS first_name,
               CASE WHEN i % 3 = 0 THEN 'high' ELSE 'medium' END AS clv_tier,
               true AS has_email_consent, true AS has_sms_consent,
               false AS has_whatsapp_consent, 'email' AS channel
        FROM range({n}) t(i)
        """
    )


def burst_floor(counts: Counter) -> float:
    """Least seconds the documented token buckets allow for `counts` requests per bucket."""
    total = 0.0
    for bucket, n in counts.items():
        limit = KlaviyoDestination.limits[bucket]
        total += max(0, n - limit.burst) / limit.per_second
    return total


def _serve_emulators(conn, job_seconds: float) -> None:
    """Child process: the emulators at documented limits, answering state queries on `conn`."""
    with running_emulators(rate_scale=1.0, klaviyo_job_seconds=job_seconds) as emus:
        conn.send(emus.env)
        while (command := conn.recv()) != "stop":
            if command == "members":
                conn.send(len(emus.klaviyo.list_members("Benchmark")))
            elif command == "requests":
                conn.send([(r.path, r.status) for r in emus.klaviyo.requests])
                emus.klaviyo.clear_log()


def bench_throughput(members: int, workdir: Path) -> None:
    """Sync `members` new members; the emulator runs in its own process like a real vendor."""
    project = workdir / "dbt_project"
    (project / "models" / "audiences").mkdir(parents=True)
    (project / "models" / "audiences" / f"{MODEL}.yml").write_text(SYNC_YML)
    (sync,) = load_syncs(project)
    con = duckdb.connect(str(workdir / "bench.duckdb"))
    make_audience(con, members)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve_emulators, args=(child, 0.2), daemon=True
    )
    server.start()
    os.environ.update(parent.recv())
    os.environ["RETENTION_SYNC_RATE_SCALE"] = "1"
    try:
        started = time.monotonic()
        result = run_sync(con, sync)
        elapsed = time.monotonic() - started
        assert result.status == "success", result.errors
        parent.send("members")
        assert parent.recv() == members
        parent.send("requests")
        requests = parent.recv()
        started = time.monotonic()
        rerun = run_sync(con, sync)
        rerun_s = time.monotonic() - started
        parent.send("requests")
        rerun_reads = sum(1 for path, status in parent.recv() if status < 400)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    ok = [path for path, status in requests if status < 400]
    writes = Counter(ENDPOINT_BUCKETS[p] for p in ok if p in ENDPOINT_BUCKETS)
    throttled = sum(1 for _, status in requests if status == 429)
    import_rate, subscribe_rate = 150 / 60 * 10_000, 750 / 60 * 1_000
    steady_ceiling = 1 / (1 / import_rate + 1 / subscribe_rate)
    pipelined_ceiling = min(import_rate, subscribe_rate)
    achieved = members / elapsed
    floor = burst_floor(writes)
    print(f"members synced: {members:,} in {elapsed:.2f}s -> {achieved:,.0f} profiles/s")
    print(
        f"requests: {dict(writes)} writes, {len(ok) - sum(writes.values())} reads, "
        f"{throttled} answered 429"
    )
    print(
        f"documented steady ceiling: {steady_ceiling:,.0f} profiles/s -> "
        f"achieved share {achieved / steady_ceiling:.0%}"
    )
    print(
        f"pipelined steady ceiling (import and subscribe overlapped): "
        f"{pipelined_ceiling:,.0f} profiles/s -> achieved share {achieved / pipelined_ceiling:.0%}"
    )
    print(
        f"burst-aware floor for these write requests: {floor:.2f}s "
        f"({floor / elapsed:.0%} of the measured time)"
    )
    print(
        f"rerun without changes: {rerun.write_requests} write requests, "
        f"{rerun_reads - rerun.write_requests} reads in {rerun_s:.2f}s"
    )
    con.close()


def bench_diff(rows: int, workdir: Path) -> None:
    (sync,) = load_syncs(workdir / "dbt_project")
    con = duckdb.connect(str(workdir / "diff.duckdb"))
    make_audience(con, rows)
    from activation.tables import ensure_tables

    ensure_tables(con)
    stage_audience(con, sync)
    con.execute(
        "INSERT INTO activation.sync_records (sync_name, record_key, fields_hash, payload, "
        "status, updated_at) SELECT ?, record_key, payload_hash, payload, 'synced', now() "
        "FROM _aud",
        [sync.name],
    )
    changed = rows // 100
    con.execute(
        f"UPDATE audiences.{MODEL} SET clv_tier = 'platinum' "
        f"WHERE customer_id IN (SELECT customer_id FROM audiences.{MODEL} "
        f"WHERE clv_tier <> 'platinum' LIMIT {changed})"
    )
    started = time.monotonic()
    stage_audience(con, sync)
    plan = plan_changes(con, sync, send_once=False)
    elapsed = time.monotonic() - started
    assert plan.updates == changed and plan.adds == 0 and plan.removes == 0, plan
    print(
        f"diff of {rows:,} audience rows vs {rows:,} synced records "
        f"({changed:,} changed): {elapsed:.2f}s ({rows / elapsed:,.0f} rows/s)"
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--diff-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bench_throughput(args.members, workdir)
        bench_diff(args.diff_rows, workdir)


if __name__ == "__main__":
    main()
