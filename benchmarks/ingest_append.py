"""Cost of taking in one small file on top of a large history: append vs the old full reload.

A warehouse holds `--rows` orders (one orders.csv); then `--batches` files of `--batch` rows
(half status updates of existing orders, half new orders) land one by one as
`orders_<n>.csv`. Each is taken in three ways, timed separately on copies of one warehouse:
- `files`: only the new file (what `raw_drop_sensor` now requests);
- `folder`: the whole drop folder, already loaded files skipped by hash;
- `reload`: the whole folder as a snapshot (`--replace`), what every new file cost before.

Run: `.venv/bin/python benchmarks/ingest_append.py [--rows N] [--batches K] [--batch B]`.
Prints the median seconds per file of each way and the reload/files ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import write_orders  # noqa: E402
from retention.ingest import ingest_path  # noqa: E402
from retention.ingest.options import IngestOptions  # noqa: E402

HEADER = "order_id,customer_id,ordered_at,status,currency,subtotal,total\n"


def write_batch(path: Path, n: int, rows: int, history: int) -> None:
    """Batch `n`: `rows // 2` updates of existing orders (now delivered), the rest new orders."""
    lines = [HEADER]
    for i in range(rows):
        if i % 2 == 0:
            order = f"O{(n * rows + i) % history}"
            lines.append(f"{order},C{i},2024-06-01 10:00:00,delivered,GBP,20.00,20.00\n")
        else:
            order = f"N{n}-{i}"
            lines.append(f"{order},C{i},2025-12-0{1 + n % 9} 10:00:00,placed,GBP,35.50,35.50\n")
    path.write_text("".join(lines))


def timed(drop: Path, db: Path, options: IngestOptions | None) -> tuple[float, int]:
    """Seconds of one ingest and the rows it loaded."""
    began = time.perf_counter()
    report = ingest_path(drop, db_path=db, options=options)
    return time.perf_counter() - began, report.rows_loaded


def main() -> None:
    """Load the history, then time each batch file taken in all three ways."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"files": [], "folder": [], "reload": []}
    with tempfile.TemporaryDirectory() as tmp:
        drop, db = Path(tmp) / "drop", Path(tmp) / "append.duckdb"
        drop.mkdir()
        write_orders(drop / "orders.csv", args.rows)
        began = time.perf_counter()
        ingest_path(drop, db_path=db)
        history = time.perf_counter() - began
        for n in range(args.batches):
            name = f"orders_{n:04d}.csv"
            write_batch(drop / name, n, args.batch, args.rows)
            copies = {way: Path(tmp) / f"{way}.duckdb" for way in times}
            for copy in copies.values():
                shutil.copy(db, copy)
            ways = {
                "files": IngestOptions(files=(name,)),
                "folder": None,
                "reload": IngestOptions(replace=True),
            }
            for way, options in ways.items():
                seconds, loaded = timed(drop, copies[way], options)
                expected = args.batch if way != "reload" else args.rows + args.batch * (n + 1)
                assert loaded == expected, (way, loaded, expected)
                times[way].append(seconds)
            shutil.move(copies["files"], db)
    print(f"history: {args.rows:,} orders loaded in {history:.2f} s")
    print(f"{args.batches} files of {args.batch:,} rows each, median seconds per file:")
    median = {way: statistics.median(values) for way, values in times.items()}
    for way, value in median.items():
        print(f"  {way:<7} {value:7.3f} s")
    print(f"reload / files: {median['reload'] / median['files']:.1f}x")


if __name__ == "__main__":
    main()
