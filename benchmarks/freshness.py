"""Landing-to-provider latency of the triggered fast path, against the local emulators.

A sample store of `--customers` is generated and taken through the full pipeline once (ingest,
build, ML, every sync; timed as the full build). Then, for `--duration` seconds, every
`--interval` seconds a batch lands in a drop folder as small files (`orders_<run>_<n>.csv`,
`events_<run>_<n>.csv`, `shipment_events_<run>_<n>.csv`): for `--rows` consented customers a
new order with its `in_transit` shipment event, and for as many others an abandoned cart.
Meanwhile the fast path (`retention trigger --raw DROP`: the new files only, the triggered
audiences and their marts, no ML, their syncs) runs back to back. A batch landing during a
run waits for the next one.

The landed rows are dated on the store's last day, so the as-of date (the day after the latest
order) stays what the full build used, as in a live store where rows land on the current day.

Per triggered audience it reports the latency from a file landing to the first 2xx write the
destination's emulator logged carrying the member's contact (p50, p95, max, and how many), the
fast-path run time vs the full build, and peak memory (this process and dbt, RSS).

Run: `.venv/bin/python benchmarks/freshness.py [--customers N] [--duration S] [--interval S]`
(`--reuse FOLDER` lands on the warehouse of an earlier run instead of building one);
1M customers / 10 min: `--customers 1000000 --duration 600 --interval 30`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from activation.declarations import load_sync_declarations  # noqa: E402
from activation.emulators import Emulators  # noqa: E402
from orchestration.defs.triggered.selection import INGEST_AND_TRIGGER_JOB  # noqa: E402
from orchestration.demo import warehouse_emulators  # noqa: E402
from orchestration.pipeline import FULL_PIPELINE_JOB, run_pipeline  # noqa: E402
from retention.core import settings  # noqa: E402
from retention.sample_store import generate_store  # noqa: E402

STORE_END = datetime(2026, 10, 31)
ORDER_ID = re.compile(r"OF\d+-\d+")


@dataclass
class Landings:
    """What landed when: order ids and cart keys (`customer:timestamp`) -> landing time."""

    at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def landed(self, record_key: str) -> float | None:
        """Landing time of the row behind a sync's record key, if it landed in this run."""
        match = ORDER_ID.search(record_key)
        token = match.group(0) if match else record_key.split(":", 1)[-1]
        with self.lock:
            return self.at.get(token)


def consented_customers(db: Path) -> list[str]:
    """Customers with email or SMS consent, in a fixed order."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select customer_id from marts.dim_customers "
            "where email_consent = 'subscribed' or sms_consent = 'subscribed' order by 1"
        ).fetchall()
    return [customer for (customer,) in rows]


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    tmp = path.parent.parent / path.name  # written outside the drop folder, then moved in whole
    with tmp.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    tmp.rename(path)


def land_batch(
    drop: Path, n: int, buyers: list[str], carts: list[str], landings: Landings, tag: int
) -> None:
    """Batch `n` of run `tag`: an order and its `in_transit` shipment event per buyer, an
    add_to_cart per cart customer (ids and times unique per run, so a reused warehouse gets
    new events)."""
    base = STORE_END + timedelta(seconds=60 * n + tag % 3600)
    orders, shipments, events = [], [], []
    for i, customer in enumerate(buyers):
        order_id = f"OF{tag}{n:03d}-{i}"
        ordered = (base + timedelta(hours=1, seconds=i)).isoformat(sep=" ")
        shipped = (base + timedelta(hours=2, seconds=i)).isoformat(sep=" ")
        orders.append(
            {
                "order_id": order_id,
                "customer_id": customer,
                "ordered_at": ordered,
                "status": "shipped",
                "currency": "USD",
                "subtotal": "30.00",
                "discount_amount": "0.00",
                "shipping_amount": "4.95",
                "total": "34.95",
                "shipped_at": shipped,
            }
        )
        shipments.append(
            {
                "order_id": order_id,
                "status": "in_transit",
                "occurred_at": shipped,
                "carrier": "USPS",
                "tracking_number": f"TRF{n}{i:04d}US",
            }
        )
    cart_keys = []
    for i, customer in enumerate(carts):
        occurred = (base + timedelta(seconds=i)).isoformat(sep=" ")
        events.append(
            {
                "customer_id": customer,
                "event_type": "add_to_cart",
                "occurred_at": occurred,
                "channel": "web",
                "product_id": "P0001",
            }
        )
        cart_keys.append(f"{customer}:{occurred}")
    _write(drop / f"orders_{tag}_{n:04d}.csv", list(orders[0]), orders)
    _write(drop / f"shipment_events_{tag}_{n:04d}.csv", list(shipments[0]), shipments)
    _write(drop / f"events_{tag}_{n:04d}.csv", list(events[0]), events)
    now = time.time()
    with landings.lock:
        landings.at.update({o["order_id"]: now for o in orders})
        landings.at.update({key: now for key in cart_keys})


def lander(
    drop: Path, customers: list[str], args: argparse.Namespace, landings: Landings
) -> threading.Thread:
    """A thread landing a batch every `args.interval` s for `args.duration` s."""

    def run() -> None:
        began = time.monotonic()
        tag = int(time.time()) % 10**6
        start = tag * 7919 % len(customers)
        pool = customers[start:] + customers[:start]
        n = 0
        while time.monotonic() - began < args.duration:
            picked = pool[n * 2 * args.rows : (n + 1) * 2 * args.rows]
            land_batch(drop, n, picked[: args.rows], picked[args.rows :], landings, tag)
            n += 1
            time.sleep(max(0.0, began + n * args.interval - time.monotonic()))

    thread = threading.Thread(target=run, name="lander", daemon=True)
    thread.start()
    return thread


def received_at(
    emulators: Emulators, destination: str, payload: dict, since: float
) -> float | None:
    """When `destination`'s emulator first logged a 2xx write carrying a contact of `payload`."""
    contacts = [
        v for v in payload.values() if isinstance(v, str) and ("@" in v or v.startswith("+"))
    ]
    needles = {c for c in contacts} | {quote(c) for c in contacts}
    for request in getattr(emulators, destination).requests:
        if request.at < since or not request.is_write or request.status >= 300:
            continue
        body = request.raw.decode(errors="replace")
        if any(needle in body for needle in needles):
            return request.at
    return None


def latencies(db: Path, emulators: Emulators, landings: Landings) -> dict[str, list[float]]:
    """Seconds from landing to the emulator, per triggered audience (over its syncs)."""
    syncs = {
        s.name: (s.model, s.destination)
        for s in load_sync_declarations(settings.DBT_PROJECT_DIR).syncs
    }
    with duckdb.connect(str(db), read_only=True) as con:
        records = con.execute(
            "select sync_name, record_key, payload from activation.sync_records"
        ).fetchall()
    found: dict[str, list[float]] = {}
    for sync_name, record_key, payload in records:
        landed = landings.landed(record_key)
        if landed is None or sync_name not in syncs:
            continue
        model, destination = syncs[sync_name]
        got = received_at(emulators, destination, _flat(json.loads(payload)), landed)
        if got is not None:
            found.setdefault(model, []).append(got - landed)
    return found


def _flat(payload: dict) -> dict:
    flat = {}
    for key, value in payload.items():
        flat.update(_flat(value) if isinstance(value, dict) else {key: value})
    return flat


def _p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def fast_path_until_done(drop: Path, db: Path, lander: threading.Thread) -> list[float]:
    """Run the fast path whenever files landed since the last run, until the lander is done
    and everything it landed was taken in; the seconds of each run."""
    seen: set[str] = set()
    runs: list[float] = []
    while True:
        names = {p.name for p in drop.glob("*.csv")}
        if names - seen:
            seen |= names
            began = time.perf_counter()
            run_pipeline(INGEST_AND_TRIGGER_JOB, raw=drop, db_path=db)
            runs.append(time.perf_counter() - began)
        elif not lander.is_alive():
            return runs
        else:
            time.sleep(0.2)


def main() -> None:
    """Build once, land batches while the fast path runs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of landing")
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between batches")
    parser.add_argument("--rows", type=int, default=10, help="orders (and carts) per batch")
    parser.add_argument(
        "--reuse", type=Path, help="folder of an earlier run: its warehouse and full-build time"
    )
    args = parser.parse_args()
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    root = args.reuse or Path(tempfile.mkdtemp(prefix="freshness-"))
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    db, timing = root / "warehouse.duckdb", root / "full_build_seconds"
    store, drop = root / "store", root / "drop"
    shutil.rmtree(drop, ignore_errors=True)
    drop.mkdir()
    with warehouse_emulators(db) as emulators:
        os.environ.update(emulators.env)
        if not timing.exists():
            generate_store(store, customers=args.customers, seed=7)
            began = time.perf_counter()
            run_pipeline(FULL_PIPELINE_JOB, raw=store, db_path=db)
            timing.write_text(f"{time.perf_counter() - began:.1f}")
        full = float(timing.read_text())
        print(f"warehouse {db}: full build {full:.1f} s", flush=True)
        customers = consented_customers(db)
        landings = Landings()
        thread = lander(drop, customers, args, landings)
        fast = fast_path_until_done(drop, db, thread)
        found = latencies(db, emulators, landings)
    print(
        f"store: {args.customers:,} customers; {len(landings.at):,} rows landed in "
        f"{args.duration:.0f} s every {args.interval:.0f} s"
    )
    print(f"full build (ingest, dbt, ML, all syncs): {full:.1f} s")
    print(
        f"fast path runs: {len(fast)}, median {statistics.median(fast):.1f} s, "
        f"max {max(fast):.1f} s (ratio to full {statistics.median(fast) / full:.2f})"
    )
    print(f"{'audience':34} {'n':>5} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for model, values in sorted(found.items()):
        print(
            f"{model:34} {len(values):5d} {_p(values, 50):7.1f} {_p(values, 95):7.1f} "
            f"{max(values):7.1f}"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {own:.0f} MiB, largest child (dbt) {children:.0f} MiB")


if __name__ == "__main__":
    main()
