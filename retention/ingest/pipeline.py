"""`ingest_path`: one ingest run in one DuckDB transaction, recorded in `raw.load_log`."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retention.core import lock as warehouse_lock
from retention.core import settings
from retention.core.errors import InputError
from retention.ingest import canonical, cdnow, online_retail, shopify
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import (
    PENDING_QUARANTINE,
    create_pending_quarantine,
    ensure_raw_schema,
    publish_quarantine,
    table_counts,
)
from retention.ingest.report import FileLoad, IngestReport, Writer

# A format reads and checks its files (outside the transaction: staging temp tables need
# committed row ids for line numbers) and returns the step that writes `raw` (inside it).
FORMATS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path, IngestOptions], Writer]] = {
    "canonical": canonical.prepare,
    "online-retail-ii": online_retail.prepare,
    "cdnow": cdnow.prepare,
    "shopify": shopify.prepare,
}


def ingest_path(
    path: Path,
    fmt: str = "canonical",
    db_path: Path | None = None,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Load `path` (a file or folder) in format `fmt` into schema `raw` of the DuckDB warehouse.

    Canonical files append per file: a file loaded before with the same content is skipped, a
    changed one replaces only its own rows and quarantine rows (`options.replace`: each table
    loaded is replaced by this drop). The other formats replace the tables they load.
    Raises InputError for a missing path, an unknown format, a header lacking required columns,
    ambiguous slash dates, an unreadable file, or a load that would empty a non-empty raw table
    (unless `options.replace`).
    """
    options = options or IngestOptions()
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} for {path}; use one of {', '.join(FORMATS)}")
    if not path.exists():
        raise InputError(f"{path}: no such file or folder; pass a {fmt} file or a folder of them")
    db = (Path(db_path) if db_path is not None else settings.duckdb_path()).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    load_id = uuid.uuid4().hex[:12]
    loaded_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    with (
        tempfile.TemporaryDirectory(prefix="retention_ingest_") as scratch,
        warehouse_lock.connect(db) as con,
    ):
        ensure_raw_schema(con)
        create_pending_quarantine(con)
        write = FORMATS[fmt](con, path.resolve(), replace(options, scratch=Path(scratch)))
        con.execute("BEGIN TRANSACTION")
        try:
            loads, anonymous, ignored, unchanged = write(loaded_at)
            publish_quarantine(con, loaded_at)
            _log_loads(con, load_id, loads, loaded_at)
            reasons = _reason_counts(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        counts = table_counts(con)
    return IngestReport(
        load_id,
        db,
        fmt,
        tuple(loads),
        counts,
        anonymous_rows=anonymous,
        ignored_files=ignored,
        unchanged_files=unchanged,
        quarantine_reasons=reasons,
    )


def _log_loads(
    con: duckdb.DuckDBPyConnection, load_id: str, loads: list[FileLoad], loaded_at: str
) -> None:
    """One `raw.load_log` row per file loaded by this run (none when every file was unchanged)."""
    if not loads:
        return
    con.executemany(
        "INSERT INTO raw.load_log (load_id, source_file, table_name, format, rows_read, "
        "rows_loaded, rows_quarantined, loaded_at, file_key, file_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                load_id,
                f.source_file,
                f.table_name,
                f.format,
                f.rows_read,
                f.rows_loaded,
                f.rows_quarantined,
                loaded_at,
                f.file_key,
                f.file_hash,
            )
            for f in loads
        ],
    )


def _reason_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Quarantined rows of this run per kind of reason (text before the first colon)."""
    rows = con.execute(
        f"SELECT rtrim(regexp_extract(reason, '^[A-Za-z0-9_ -]+')) AS kind, count(*) "
        f"FROM {PENDING_QUARANTINE} "
        f"GROUP BY kind ORDER BY count(*) DESC, kind"
    ).fetchall()
    return {kind: int(n) for kind, n in rows}
