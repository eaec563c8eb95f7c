"""Append column chunks to the canonical CSV files with pyarrow (typed, streaming)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from retention.core.raw_contract import TABLES

_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "TIMESTAMP": pa.timestamp("s"),
    "DATE": pa.date32(),
    "INTEGER": pa.int64(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
}


def _arrow(values: np.ndarray, dtype: str, start: datetime) -> pa.Array:
    """Convert one column: times given as float days since `start` (inf/nan = empty)."""
    if dtype in ("TIMESTAMP", "DATE"):
        days = np.asarray(values, dtype=float)
        missing = ~np.isfinite(days)
        seconds = np.where(missing, 0, np.floor(days * 86400)).astype(np.int64)
        stamps = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
        if dtype == "DATE":
            stamps = stamps.astype("datetime64[D]")
        return pa.array(stamps, mask=missing, type=_TYPES[dtype])
    if dtype.startswith("DECIMAL"):
        return pa.array(np.round(np.asarray(values, float), 2)).cast(_TYPES[dtype], safe=False)
    if dtype == "INTEGER":
        return pa.array(np.asarray(values, dtype=np.int64))
    arr = np.asarray(values, dtype=object)
    return pa.array(np.where(arr == "", None, arr), type=pa.string())


class StoreWriter:
    """One CSV writer per contract table under `out_dir`; counts rows written."""

    def __init__(self, out_dir: Path, start: date) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.start = datetime(start.year, start.month, start.day)
        self.rows: dict[str, int] = {name: 0 for name in TABLES}
        self._schemas = {
            name: pa.schema([(col, _TYPES[t]) for col, t in spec.columns.items()])
            for name, spec in TABLES.items()
        }
        self._writers = {
            name: pacsv.CSVWriter(
                out_dir / f"{name}.csv",
                schema,
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
            for name, schema in self._schemas.items()
        }

    def write(self, table: str, columns: dict[str, np.ndarray]) -> None:
        """Append one chunk of `table` given as contract columns."""
        spec = TABLES[table]
        arrays = [_arrow(columns[col], dtype, self.start) for col, dtype in spec.columns.items()]
        batch = pa.record_batch(arrays, schema=self._schemas[table])
        self._writers[table].write_batch(batch)
        self.rows[table] += batch.num_rows

    def close(self) -> None:
        """Flush and close every file."""
        for writer in self._writers.values():
            writer.close()
