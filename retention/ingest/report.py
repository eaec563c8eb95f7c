"""What one ingest run did: per-file counts (mirrors `raw.load_log`) and per-table totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FileLoad:
    """One source file loaded into one table; rows_read = rows_loaded + rows_quarantined."""

    source_file: str
    table_name: str
    format: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    # the file's name below the folder ingested and its SHA-256 (canonical files only)
    file_key: str | None = None
    file_hash: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """Result of `ingest_path`: one `FileLoad` per file plus the raw tables' row counts."""

    load_id: str
    db_path: Path
    format: str
    files: tuple[FileLoad, ...]
    table_rows: dict[str, int]
    anonymous_rows: int = 0
    ignored_files: tuple[str, ...] = ()
    # files skipped because the same content was loaded before (a re-drop loads once)
    unchanged_files: tuple[str, ...] = ()
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        """Rows read over all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        """Rows loaded over all files."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        """Rows quarantined over all files."""
        return sum(f.rows_quarantined for f in self.files)


# What a format's write step returns: the file loads, the number of anonymous rows, the files
# ignored (no table in their name) and the files unchanged since their last load.
Written = tuple[list[FileLoad], int, tuple[str, ...], tuple[str, ...]]
# The write step of a format: given the load timestamp, fill `raw`.
Writer = Callable[[str], Written]
