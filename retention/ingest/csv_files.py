"""CSV and Parquet files as `Source`s: header sniffing, column mapping and reader options."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import duckdb

from retention.core.errors import InputError
from retention.ingest.filescan import readable
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import ident, literal
from retention.ingest.rules import csv_text_expr
from retention.ingest.staging import Source, unique_name

DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def normalise(name: str) -> str:
    """Header name as a comparable key: `Customer ID` -> `customer_id`."""
    return "_".join(name.strip().strip('"').lower().replace("-", " ").split())


def read_header(path: Path) -> tuple[str, list[str]]:
    """The delimiter and the header names of a CSV file (BOM stripped).

    The delimiter is the candidate splitting the header into the most fields.
    Raises InputError for an empty or UTF-16 file.
    """
    with path.open("rb") as fh:
        first = fh.readline(1 << 20)
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: file is UTF-16 encoded; re-save it as UTF-8 CSV")
    lines = first.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    text = lines[0] if lines else ""  # splitlines: a file with CR-only line ends too
    if not text.strip():
        raise InputError(f"{path}: file is empty; expected a header line with the columns")
    best = max(DELIMITERS, key=lambda d: len(next(csv.reader(io.StringIO(text), delimiter=d))))
    return best, [h.strip() for h in next(csv.reader(io.StringIO(text), delimiter=best))]


def csv_paths(path: Path, what: str) -> list[Path]:
    """`path` itself when it is a file, else the folder's CSV files in name order.

    Raises InputError naming the folder and `what` its files should hold when it has none.
    """
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CSV_SUFFIXES)
    if not files:
        raise InputError(f"{path}: no CSV files of {what}")
    return files


def map_columns(
    path: Path,
    header: list[str],
    wanted: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    what: str,
) -> dict[str, str]:
    """Map each wanted column to the header name that provides it (by normalised name/aliases).

    Raises InputError naming the file and the expected columns when a required one is absent,
    or naming the column when a column to read appears twice in the header.
    """
    by_key = {normalise(h): h for h in header}
    repeated = {key for key, n in Counter(normalise(h) for h in header).items() if n > 1}
    for col, aliases in wanted.items():
        twice = next((normalise(a) for a in aliases if normalise(a) in repeated), None)
        if twice is not None:
            names = " and ".join(repr(h) for h in header if normalise(h) == twice)
            raise InputError(
                f"{path}: header columns {names} both hold {col}, so it is unclear which one "
                f"to read; rename or remove the duplicate"
            )
    found = {
        col: next((by_key[normalise(a)] for a in aliases if normalise(a) in by_key), None)
        for col, aliases in wanted.items()
    }
    missing = [col for col in required if found[col] is None]
    if missing:
        raise InputError(
            f"{path}: header lacks required column(s) {', '.join(missing)} for {what}; "
            f"expected columns: {', '.join(wanted)} (found: {', '.join(header) or 'none'})"
        )
    return {col: name for col, name in found.items() if name is not None}


def csv_source(
    path: Path,
    table_name: str,
    delimiter: str,
    header: list[str],
    mapping: dict[str, str],
    columns: tuple[str, ...],
    options: IngestOptions | None = None,
) -> Source:
    """A `Source` reading `path` with DuckDB's CSV reader: all VARCHAR, bad lines to rejects.

    A file mixing CRLF and LF line ends is read through an LF copy in `options.scratch`.
    """
    read_path, found = readable(path, options.scratch if options else None)
    rejects = unique_name("rejects")
    names = [f"c{i}" for i in range(len(header))]
    spec = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    relation = (
        f"read_csv({literal(str(read_path or path))}, header = true, auto_detect = false, "
        f"columns = {spec}, "
        f"delim = {literal(delimiter)}, quote = '\"', escape = '\"', encoding = 'utf-8', "
        f"null_padding = false, store_rejects = true, rejects_table = {literal(rejects)}, "
        f"rejects_scan = {literal(rejects + '_scan')})"
    )
    position = {h: f"src.{ident(names[i])}" for i, h in enumerate(header)}
    sources = {col: position[mapping[col]] if col in mapping else "NULL" for col in columns}
    raw = csv_text_expr([f"src.{ident(n)}" for n in names], delimiter)
    return Source(
        path,
        table_name,
        relation,
        sources,
        raw,
        first_line=2,
        rejects=rejects,
        read_path=read_path,
        slash_dates=found.slash_dates,
        nul_bytes=found.nul > 0,
    )


def parquet_source(
    path: Path,
    table_name: str,
    names: list[str],
    mapping: dict[str, str],
    columns: tuple[str, ...],
) -> Source:
    """A `Source` reading a Parquet file; every column is cast to VARCHAR and checked alike."""
    sources = {
        col: f"CAST(src.{ident(mapping[col])} AS VARCHAR)" if col in mapping else "NULL"
        for col in columns
    }
    raw = (
        "CAST(to_json(struct_pack("
        + ", ".join(f"{ident(n)} := src.{ident(n)}" for n in names)
        + ")) AS VARCHAR)"
    )
    return Source(
        path, table_name, f"read_parquet({literal(str(path))})", sources, raw, first_line=1
    )


def parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a Parquet file."""
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    return [r[0] for r in rows]
