"""File export: the synced members as CSV or Parquet under FILE_EXPORT_DIR (atomic rewrite)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from activation.destinations.base import Destination, Record, RowFailures
from activation.errors import SyncConfigError

DEFAULT_EXPORT_DIR = "warehouse/exports"


class FileOptions(BaseModel):
    """Options of a file export: `target` is the file name under FILE_EXPORT_DIR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "parquet"] = "csv"


class FileDestination(Destination):
    """Keeps one file holding exactly the synced members; each batch rewrites it atomically."""

    name = "file"
    Options = FileOptions
    upsert_batch_size = 50_000
    remove_batch_size = 50_000

    def __init__(self, sync, env=None) -> None:
        super().__init__(sync, env)
        folder = Path(self.env.get("FILE_EXPORT_DIR") or DEFAULT_EXPORT_DIR).resolve()
        self.path = (folder / sync.target).resolve()
        if folder not in self.path.parents:
            raise SyncConfigError(
                f"sync '{sync.name}': field 'target': a file name inside {folder}, "
                f"not {sync.target!r}"
            )
        self.writes = 0

    @property
    def write_requests(self) -> int:
        return self.writes

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        if self.options.format == "parquet":
            table = pq.read_table(self.path)
        else:
            table = pacsv.read_csv(
                self.path,
                convert_options=pacsv.ConvertOptions(
                    column_types={"record_key": pa.string()}, strings_can_be_null=True
                ),
            )
        return {row["record_key"]: row for row in table.to_pylist()}

    def _write(self, rows: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        columns = ["record_key", *sorted(self.sync.identifiers), *sorted(self.sync.fields)]
        data = {c: [rows[k].get(c) for k in sorted(rows)] for c in columns}
        table = pa.table(
            {
                c: pa.array([None if v is None else str(v) for v in vs], pa.string())
                for c, vs in data.items()
            }
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        if self.options.format == "parquet":
            pq.write_table(table, tmp)
        else:
            pacsv.write_csv(table, tmp)
        os.replace(tmp, self.path)
        self.writes += 1

    def upsert(self, records: list[Record]) -> RowFailures:
        rows = self._read()
        for r in records:
            rows[r.key] = {"record_key": r.key, **r.identifiers, **r.fields}
        self._write(rows)
        return {}

    def remove(self, records: list[Record]) -> RowFailures:
        rows = self._read()
        for r in records:
            rows.pop(r.key, None)
        self._write(rows)
        return {}
