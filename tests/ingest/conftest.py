"""Helpers for ingest tests: write files, open the warehouse, check the accounting invariant."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from retention.ingest import IngestReport


def write(path: Path, text: str | bytes) -> Path:
    """Write text (UTF-8) or raw bytes to `path`, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def assert_accounted(report: IngestReport, db: Path) -> None:
    """rows_read = loaded + quarantined per file, and the tables agree with the report."""
    with duckdb.connect(str(db), read_only=True) as con:
        for f in report.files:
            assert f.rows_read == f.rows_loaded + f.rows_quarantined, f
            quarantined = con.execute(
                "SELECT count(*) FROM raw.quarantine WHERE source_file = ? AND table_name = ?",
                [f.source_file, f.table_name],
            ).fetchone()[0]
            assert quarantined == f.rows_quarantined, f
            logged = con.execute(
                "SELECT rows_read, rows_loaded, rows_quarantined FROM raw.load_log "
                "WHERE load_id = ? AND source_file = ? AND table_name = ?",
                [report.load_id, f.source_file, f.table_name],
            ).fetchone()
            assert logged == (f.rows_read, f.rows_loaded, f.rows_quarantined)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh warehouse file under tmp_path."""
    return tmp_path / "warehouse" / "test.duckdb"


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Run one read-only query against the warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
