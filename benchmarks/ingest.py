"""Ingest throughput: `ingest_path` on a 1M-row orders CSV vs a bare DuckDB `read_csv` of it.

Run: `.venv/bin/python benchmarks/ingest.py [--rows N]`. Prints rows/second for both and the
ratio (target: ingest within 2x of bare DuckDB).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from retention.core.raw_contract import ORDER_STATUSES
from retention.ingest import ingest_path


def write_orders(path: Path, rows: int, seed: int = 0) -> None:
    """A valid orders.csv of `rows` rows in the canonical contract."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")  # history ends before today
    ordered = start + rng.integers(0, 3 * 365 * 86400, rows).astype("timedelta64[s]")
    subtotal = np.round(rng.uniform(10, 200, rows), 2)
    discount = np.round(subtotal * rng.choice([0, 0.1, 0.2], rows), 2)
    shipping = np.where(subtotal > 50, 0.0, 4.95)
    money = pa.decimal128(18, 2)
    table = pa.table(
        {
            "order_id": pa.array(np.char.add("O", np.arange(rows).astype(str))),
            "customer_id": pa.array(np.char.add("C", rng.integers(0, rows // 3, rows).astype(str))),
            "ordered_at": pa.array(ordered),
            "status": pa.array(np.array(ORDER_STATUSES)[rng.integers(0, 5, rows)]),
            "currency": pa.array(np.full(rows, "GBP")),
            "subtotal": pa.array(subtotal).cast(money, safe=False),
            "discount_amount": pa.array(discount).cast(money, safe=False),
            "shipping_amount": pa.array(shipping).cast(money, safe=False),
            "total": pa.array(np.round(subtotal - discount + shipping, 2)).cast(money, safe=False),
            "discount_code": pa.array(np.where(discount > 0, "SALE", None)),
            "shipped_at": pa.array(ordered + np.timedelta64(86400, "s")),
            "delivered_at": pa.array(ordered + np.timedelta64(3 * 86400, "s")),
        }
    )
    pacsv.write_csv(table, path)


def main() -> None:
    """Time both loads once each and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "store"
        folder.mkdir()
        csv_path = folder / "orders.csv"
        write_orders(csv_path, rows)
        with duckdb.connect(str(Path(tmp) / "bare.duckdb")) as con:
            began = time.perf_counter()
            con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{csv_path}')")
            bare = time.perf_counter() - began
            assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == rows
        began = time.perf_counter()
        report = ingest_path(folder, db_path=Path(tmp) / "ingest.duckdb")
        ours = time.perf_counter() - began
        assert report.rows_loaded == rows, report
    print(f"rows: {rows:,}")
    print(f"bare duckdb read_csv: {bare:.2f} s  ({rows / bare:,.0f} rows/s)")
    print(f"ingest_path:          {ours:.2f} s  ({rows / ours:,.0f} rows/s)")
    print(f"ratio ingest/bare:    {ours / bare:.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
