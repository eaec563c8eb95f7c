"""Read one source file with DuckDB into a checked temp table, and number its lines.

A checked table holds the contract-typed columns plus `_reason` (NULL for a valid row) and
`_raw` (the row's text, only for invalid rows). Rows DuckDB's CSV reader cannot parse go
straight to the pending quarantine with the reader's own error. `Staged.lined_sql()` adds
`_line`: the CSV record number (header = line 1; a quoted multi-line record counts once).
"""

from __future__ import annotations

import itertools
import mmap
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from retention.core.errors import InputError
from retention.core.raw_contract import TableSpec
from retention.ingest.dates import choose_order, count_slash_dates
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import PENDING_QUARANTINE, ident, literal
from retention.ingest.rules import DateRules, parse_expr, reason_expr

_names = itertools.count()
DECIMAL_COMMA_SPLIT = re.compile(r"(?:^|,)[0-9]+,[0-9]{1,2}(?:,|$)")


@dataclass(frozen=True)
class Staged:
    """A source file parsed and checked into temp table `checked`."""

    source_file: str
    table_name: str
    checked: str
    rows_read: int
    linemap: str | None
    first_line: int

    def lined_sql(self) -> str:
        """SQL relation of the checked rows with `_file` and `_line` columns."""
        base = f"SELECT rowid AS _idx, * FROM {self.checked}"
        file = literal(self.source_file)
        if self.linemap is None:
            return (
                f"SELECT {file} AS _file, _idx + {self.first_line} AS _line, "
                f"* EXCLUDE (_idx) FROM ({base})"
            )
        return (
            f"SELECT {file} AS _file, c._idx + {self.first_line} + coalesce(m.shift, 0) AS _line, "
            f"c.* EXCLUDE (_idx) FROM ({base}) c "
            f"ASOF LEFT JOIN {self.linemap} m ON c._idx >= m.good_before"
        )


@dataclass(frozen=True)
class Source:
    """How to read one file: a DuckDB table function call and VARCHAR expressions per column."""

    path: Path
    table_name: str
    relation: str
    columns: dict[str, str]
    raw_text: str
    first_line: int
    rejects: str | None = None
    # the file DuckDB reads when it is not `path` (a cleaned copy with the same lines)
    read_path: Path | None = None
    # False when a scan of the file found nothing shaped like a slash date / no NUL byte
    slash_dates: bool = True
    nul_bytes: bool = True

    @property
    def reads(self) -> Path:
        """The file the relation reads."""
        return self.read_path or self.path


def unique_name(prefix: str) -> str:
    """A fresh temp-table name for this process."""
    return f"_{prefix}_{next(_names)}"


def check_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: TableSpec,
    before: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
    options: IngestOptions | None = None,
) -> Staged:
    """Parse and check every row of `source` against `spec`.

    Dates are read in the file's day/month order (declared in `options`, else detected from
    the data). Raises InputError naming the file when DuckDB cannot read it at all.
    """
    options = options or IngestOptions()
    checked = unique_name(f"checked_{spec.name}")
    try:
        relation, order = _date_order(con, source, spec, options.date_format)
        # date values are trimmed once in their own column: their parse refers to them often
        dated = {
            col: f"_v_{i}"
            for i, (col, dtype) in enumerate(spec.columns.items())
            if dtype in ("TIMESTAMP", "DATE") and source.columns[col] != "NULL"
        }
        trims = "".join(
            f", nullif(trim({source.columns[col]}), '') AS {alias}" for col, alias in dated.items()
        )
        columns = {**source.columns, **{col: f"src.{alias}" for col, alias in dated.items()}}
        parsed = {
            col: parse_expr(col, dtype, columns[col], order, trimmed=col in dated)
            for col, dtype in spec.columns.items()
        }
        # rules read the typed columns by alias, so each value is parsed once
        typed = {col: f"src._t_{i}" for i, col in enumerate(spec.columns)}
        reason = reason_expr(
            spec,
            columns,
            typed,
            tuple(w.format(**typed) for w in before),
            tuple(w.format(**typed) for w in after),
            DateRules(order, options.latest_at),
            nul_bytes=source.nul_bytes,
        )
        inner = ", ".join(f"{parsed[c]} AS _t_{i}" for i, c in enumerate(spec.columns))
        outer = ", ".join(f"_t_{i} AS {ident(c)}" for i, c in enumerate(spec.columns))
        raw = f"replace({source.raw_text}, chr(0), '\\0')"
        con.execute(
            f"CREATE TEMP TABLE {checked} AS SELECT {outer}, _reason, "
            f"CASE WHEN _reason IS NOT NULL THEN {raw} END AS _raw "
            f"FROM (SELECT src.*, {reason} AS _reason "
            f"FROM (SELECT src.*, {inner} "
            f"FROM (SELECT src.*{trims} FROM {relation} src) src) src) src"
        )
    except duckdb.Error as exc:
        detail = " ".join(str(exc).split("\n", 1)[0].split())
        raise InputError(
            f"{source.path}: cannot be read as a {spec.name} file ({detail}); "
            f"check its delimiter, quoting and encoding, or re-export it as UTF-8 CSV"
        ) from None
    rows = con.execute(f"SELECT count(*) FROM {checked}").fetchone()[0]
    skipped = _blank_lines(source.reads, source.first_line)
    if source.rejects is not None:
        skipped += _quarantine_rejects(con, source)
    linemap = _linemap(con, sorted(skipped), source.first_line) if skipped else None
    return Staged(
        str(source.path),
        source.table_name,
        checked,
        rows + _count_rejects(con, source),
        linemap,
        source.first_line,
    )


def _date_order(
    con: duckdb.DuckDBPyConnection, source: Source, spec: TableSpec, declared: str | None
) -> tuple[str, str | None]:
    """(relation to check, day/month order) for `source`.

    Without a declared order, a file that may hold slash dates is read once into a temp table
    (so DuckDB's rejects are stored once) and its date columns are counted there.
    """
    columns = {
        col: source.columns[col]
        for col, dtype in spec.columns.items()
        if dtype in ("TIMESTAMP", "DATE") and source.columns[col] != "NULL"
    }
    if declared is not None or not columns or not source.slash_dates:
        return source.relation, declared
    loaded = unique_name(f"read_{spec.name}")
    con.execute(f"CREATE TEMP TABLE {loaded} AS SELECT * FROM {source.relation}")
    found = count_slash_dates(con, loaded, columns)
    return loaded, choose_order(found, declared, str(source.path))


def _count_rejects(con: duckdb.DuckDBPyConnection, source: Source) -> int:
    if source.rejects is None:
        return 0
    return con.execute(f"SELECT count(DISTINCT line) FROM {source.rejects}").fetchone()[0]


def _quarantine_rejects(con: duckdb.DuckDBPyConnection, source: Source) -> list[int]:
    """Move the reader's rejected lines to the pending quarantine; return their line numbers."""
    rows = con.execute(
        f"SELECT line, min(line_byte_position), arg_min(csv_line, column_idx), "
        f"arg_min(error_type || ': ' || error_message, column_idx), "
        f"bool_or(error_type = 'INVALID ENCODING') "
        f"FROM {source.rejects} GROUP BY line ORDER BY line"
    ).fetchall()
    if not rows:
        return []
    entries = [
        (
            str(source.path),
            line,
            _raw_bytes(source.reads, pos) if bad_encoding else (text or "").replace("\0", "\\0"),
            source.table_name,
            ("undecodable bytes (not UTF-8), kept escaped in raw_text: " if bad_encoding else "")
            + f"malformed CSV line: {error}"
            + _split_value_hint(error, text),
        )
        for line, pos, text, error, bad_encoding in rows
    ]
    con.executemany(f"INSERT INTO {PENDING_QUARANTINE} VALUES (?, ?, ?, ?, ?)", entries)
    return [line for line, *_ in rows]


def _split_value_hint(error: str, text: str | None) -> str:
    """A hint when too many columns come from a decimal comma (`12,50`) in a comma file."""
    if error.startswith("TOO MANY COLUMNS") and text and DECIMAL_COMMA_SPLIT.search(text):
        return (
            " (a decimal comma such as 12,50 splits a value into two columns; quote the value "
            "or use a decimal point)"
        )
    return ""


def _raw_bytes(path: Path, offset: int) -> str:
    """The physical line around byte `offset`, undecodable bytes shown as \\xNN escapes."""
    with path.open("rb") as fh:
        back = max(0, offset - 4096)
        fh.seek(back)
        before = fh.read(offset - back)
        fh.seek(back + before.rfind(b"\n") + 1)
        return fh.readline().rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")


def _blank_lines(path: Path, first_line: int) -> list[int]:
    """Line numbers of empty lines among the data, which the CSV reader skips without a row."""
    if path.suffix == ".parquet" or path.stat().st_size == 0:
        return []
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        lines, newlines, prev = [], 0, 0
        view = memoryview(data)
        for match in re.finditer(rb"\n(?=\r?\n)", data):
            newlines += bytes(view[prev : match.start() + 1]).count(b"\n")
            prev = match.start() + 1
            if newlines + 1 >= first_line:
                lines.append(newlines + 1)
        view.release()
        return lines


def _linemap(con: duckdb.DuckDBPyConnection, skipped: list[int], first_line: int) -> str:
    """Temp table mapping a valid row's index to how many skipped lines precede it."""
    name = unique_name("linemap")
    pairs = [(line - first_line - i, i + 1) for i, line in enumerate(skipped)]
    con.execute(f"CREATE TEMP TABLE {name} (good_before BIGINT, shift BIGINT)")
    con.executemany(f"INSERT INTO {name} VALUES (?, ?)", pairs)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS "
        f"SELECT good_before, max(shift) AS shift FROM {name} GROUP BY good_before"
    )
    return name
