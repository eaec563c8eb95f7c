"""The `cdnow` format: CDNOW whitespace-separated purchase records -> orders and customers.

Two published layouts are read: the full file (header `customer_id date number_of_cds
dollar_value`, or the same four fields without a header) and the 1/10 sample without header
(`master_id sample_id YYYYMMDD cds dollars`; master_id is the customer). Following Fader,
Hardie & Lee (2005), all records of one customer on one day are one purchase occasion: they
become one order (id `<customer>-<YYYYMMDD>`) with the dollars summed, status `delivered`,
currency USD.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention.core.errors import InputError
from retention.core.raw_contract import TableSpec
from retention.ingest.filescan import readable
from retention.ingest.loader import replace_from_export, union_view
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import (
    insert_into,
    literal,
)
from retention.ingest.report import Writer, Written
from retention.ingest.staging import Source, check_source, unique_name

FORMAT = "cdnow"
ENTITY = "cdnow_transactions"
RECORDS = TableSpec(
    ENTITY,
    {
        "customer_id": "VARCHAR",
        "purchase_date": "DATE",
        "cds": "INTEGER",
        "dollars": "DECIMAL(18,2)",
    },
    required=("customer_id", "purchase_date", "cds", "dollars"),
    non_negative=("cds", "dollars"),
)
FULL_HEADER = ("customer_id", "date", "number_of_cds", "dollar_value")
# Layout name -> (field count, token index (1-based) of customer, date, cds, dollars).
LAYOUTS = {"full": (4, (1, 2, 3, 4)), "sample": (5, (1, 3, 4, 5))}


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".txt", ".csv", ".dat")
    )
    if not files:
        raise InputError(f"{path}: no CDNOW .txt files; expected fields: {' '.join(FULL_HEADER)}")
    return files


def _layout(path: Path) -> tuple[str, bool]:
    """(layout, has_header) from the first non-empty line."""
    with path.open("rb") as fh:
        first = next((line for line in fh if line.strip()), b"")
    tokens = first.decode("utf-8", errors="replace").lstrip("\ufeff").split()
    if [t.lower() for t in tokens] == list(FULL_HEADER):
        return "full", True
    for name, (count, _) in LAYOUTS.items():
        if len(tokens) == count and tokens[0].isdigit():
            return name, False
    raise InputError(
        f"{path}: not a CDNOW file; expected a header '{' '.join(FULL_HEADER)}' or rows of "
        f"'customer_id YYYYMMDD cds dollars' or 'master_id sample_id YYYYMMDD cds dollars'"
    )


def _source(path: Path, options: IngestOptions) -> tuple[Source, int]:
    """A line-per-row `Source` split on whitespace, and the layout's field count."""
    layout, has_header = _layout(path)
    read_path, found = readable(path, options.scratch)
    count, (cid, date, cds, dollars) = LAYOUTS[layout]
    rejects = unique_name("rejects")
    relation = (
        f"(SELECT line, string_split_regex(trim(line), '\\s+') AS t FROM read_csv("
        f"{literal(str(read_path or path))}, header = {str(has_header).lower()}, "
        f"auto_detect = false, "
        f"columns = {{'line': 'VARCHAR'}}, delim = {literal(chr(31))}, quote = '', escape = '', "
        f"store_rejects = true, rejects_table = {literal(rejects)}, "
        f"rejects_scan = {literal(rejects + '_scan')}))"
    )
    columns = {
        "customer_id": f"src.t[{cid}]",
        "purchase_date": f"src.t[{date}]",
        "cds": f"src.t[{cds}]",
        "dollars": f"src.t[{dollars}]",
    }
    source = Source(
        path,
        ENTITY,
        relation,
        columns,
        "src.line",
        2 if has_header else 1,
        rejects,
        read_path=read_path,
        slash_dates=found.slash_dates,
        nul_bytes=found.nul > 0,
    )
    return source, count


def prepare(con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions) -> Writer:
    """Check and stage CDNOW file(s); return the step writing `raw`."""
    staged = []
    for file in _files(path):
        source, count = _source(file, options)
        wrong_width = (
            f"WHEN len(src.t) <> {count} THEN 'malformed line: expected {count} "
            f"whitespace-separated fields, found ' || len(src.t)",
        )
        staged.append(check_source(con, source, RECORDS, before=wrong_width, options=options))
    view = union_view(con, staged, ENTITY)

    def write(loaded_at: str) -> Written:
        def write_rows() -> int:
            _write_tables(con, view, loaded_at)
            return 0

        return replace_from_export(
            con,
            view,
            staged,
            entity=ENTITY,
            fmt=FORMAT,
            tables=("customers", "orders"),
            write_rows=write_rows,
            replace=options.replace,
            loaded_at=loaded_at,
        )

    return write


def _write_tables(con: duckdb.DuckDBPyConnection, view: str, loaded_at: str) -> None:
    at = f"TIMESTAMP {literal(loaded_at)}"
    valid = f"(SELECT * FROM {view} WHERE _reason IS NULL)"
    con.execute(
        f"INSERT INTO raw.customers (customer_id, _source_file, _source_line, _loaded_at) "
        f"SELECT customer_id, min(_file), min(_line), {at} FROM {valid} "
        f"GROUP BY customer_id ORDER BY min(_line)"
    )
    con.execute(
        f"{insert_into('orders')} SELECT customer_id || '-' || strftime(purchase_date, '%Y%m%d'), "
        f"customer_id, CAST(purchase_date AS TIMESTAMP), 'delivered', 'USD', sum(dollars), 0, 0, "
        f"sum(dollars), NULL, NULL, NULL, NULL, NULL, min(_file), min(_line), {at} FROM {valid} "
        f"GROUP BY customer_id, purchase_date ORDER BY min(_line)"
    )
