"""File export: the synced members as CSV or Parquet under FILE_EXPORT_DIR (atomic rewrite).

CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
carriage return) are written with a leading `'`, except plain numbers such as `-5` or an E.164
phone number `+15550001111`, which cannot call anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from activation.destinations.base import Destination, Record, RowFailures
from activation.errors import SyncConfigError

DEFAULT_EXPORT_DIR = "warehouse/exports"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise_formula(value: str) -> str:
    """`value` prefixed with `'` when a spreadsheet would evaluate it as a formula."""
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_formula(value: str) -> str:
    """The value `neutralise_formula` was given (for reading an export back)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


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

    def __init__(self, sync, connection=None) -> None:
        super().__init__(sync, connection)
        folder = Path(self.connection.base_url or DEFAULT_EXPORT_DIR).resolve()
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

    def _columns(self) -> list[str]:
        """The export's columns; all are text (phone numbers must not become floats)."""
        return ["record_key", *sorted(self.sync.identifiers), *sorted(self.sync.fields)]

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        if self.options.format == "parquet":
            table = pq.read_table(self.path)
        else:
            table = pacsv.read_csv(
                self.path,
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in self._columns()},
                    strings_can_be_null=True,
                ),
            )
        rows = table.to_pylist()
        if self.options.format == "csv":
            rows = [
                {k: restore_formula(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in rows
            ]
        return {row["record_key"]: row for row in rows}

    def _write(self, rows: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        columns = self._columns()
        data = {c: [rows[k].get(c) for k in sorted(rows)] for c in columns}
        clean = neutralise_formula if self.options.format == "csv" else str
        table = pa.table(
            {
                c: pa.array([None if v is None else clean(str(v)) for v in vs], pa.string())
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
