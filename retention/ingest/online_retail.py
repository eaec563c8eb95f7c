"""The `online-retail-ii` format: UCI Online Retail II invoice lines -> orders, items, products,
customers.

Invoices starting with `C` are cancellations (orders with status `cancelled`, amounts taken as
positive). Other invoices are completed sales: status `delivered`, with no shipping dates in
the source. Lines without a Customer ID are anonymous: their orders keep a NULL customer_id and
they never become customers. Repeated lines of one product in one invoice are summed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention.core.raw_contract import TableSpec
from retention.ingest.csv_files import csv_paths, csv_source, map_columns, read_header
from retention.ingest.loader import replace_from_export, union_view
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import (
    insert_into,
    literal,
)
from retention.ingest.report import Writer, Written
from retention.ingest.staging import check_source

FORMAT = "online-retail-ii"
ENTITY = "invoice_lines"
LINES = TableSpec(
    ENTITY,
    {
        "invoice": "VARCHAR",
        "stock_code": "VARCHAR",
        "description": "VARCHAR",
        "quantity": "INTEGER",
        "invoice_date": "TIMESTAMP",
        "price": "DECIMAL(18,3)",
        "customer_id": "VARCHAR",
        "country": "VARCHAR",
    },
    required=("invoice", "stock_code", "quantity", "invoice_date", "price"),
    non_negative=("price",),
)
HEADER = {
    "invoice": ("Invoice", "InvoiceNo"),
    "stock_code": ("StockCode",),
    "description": ("Description",),
    "quantity": ("Quantity",),
    "invoice_date": ("InvoiceDate",),
    "price": ("Price", "UnitPrice"),
    "customer_id": ("Customer ID", "CustomerID"),
    "country": ("Country",),
}
NOT_CANCELLATION_NEGATIVE = (
    "WHEN {quantity} < 0 AND NOT starts_with(upper(trim({invoice})), 'C') THEN "
    "'negative value in quantity on a sales invoice (only C-invoices may be negative): ' "
    "|| {quantity}",
)
TABLES_WRITTEN = ("customers", "products", "orders", "order_items")


def prepare(con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions) -> Writer:
    """Check and stage invoice-line CSV file(s); return the step writing `raw`."""
    sources = []
    expected = ", ".join(h[0] for h in HEADER.values())
    for file in csv_paths(path, f"invoice lines; expected columns: {expected}"):
        delimiter, header = read_header(file)
        mapping = map_columns(
            file, header, HEADER, LINES.required, "Online Retail II invoice lines"
        )
        src = csv_source(file, ENTITY, delimiter, header, mapping, tuple(LINES.columns), options)
        # "13085.0" (spreadsheet exports) and "13085" are the same customer.
        cid = src.columns["customer_id"]
        src.columns["customer_id"] = f"regexp_replace(trim({cid}), '\\.0+$', '')"
        sources.append(src)
    staged = [
        check_source(con, s, LINES, after=NOT_CANCELLATION_NEGATIVE, options=options)
        for s in sources
    ]
    view = union_view(con, staged, ENTITY)

    def write(loaded_at: str) -> Written:
        def write_rows() -> int:
            _write_tables(con, view, loaded_at)
            return con.execute(
                f"SELECT count(*) FROM {view} WHERE _reason IS NULL AND customer_id IS NULL"
            ).fetchone()[0]

        return replace_from_export(
            con,
            view,
            staged,
            entity=ENTITY,
            fmt=FORMAT,
            tables=TABLES_WRITTEN,
            write_rows=write_rows,
            replace=options.replace,
            loaded_at=loaded_at,
        )

    return write


def _write_tables(con: duckdb.DuckDBPyConnection, view: str, loaded_at: str) -> None:
    at = f"TIMESTAMP {literal(loaded_at)}"
    valid = f"(SELECT * FROM {view} WHERE _reason IS NULL)"
    con.execute(
        f"INSERT INTO raw.products SELECT stock_code, mode(description), "
        f"CASE WHEN regexp_matches(stock_code, '^[0-9]{{5}}') THEN 'merchandise' "
        f"ELSE 'non_product' END, "
        f"CAST(coalesce(mode(price) FILTER (WHERE quantity > 0), max(price)) AS DECIMAL(18,2)), "
        f"min(_file), min(_line), {at} FROM {valid} GROUP BY stock_code ORDER BY min(_line)"
    )
    con.execute(
        f"INSERT INTO raw.customers (customer_id, country, _source_file, _source_line, _loaded_at) "
        f"SELECT customer_id, arg_max(country, invoice_date), min(_file), min(_line), {at} "
        f"FROM {valid} WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY min(_line)"
    )
    con.execute(
        f"{insert_into('orders')} SELECT invoice, arg_min(customer_id, _line), min(invoice_date), "
        f"CASE WHEN starts_with(upper(invoice), 'C') THEN 'cancelled' ELSE 'delivered' END, "
        f"'GBP', CAST(sum(abs(quantity) * price) AS DECIMAL(18,2)), 0, 0, "
        f"CAST(sum(abs(quantity) * price) AS DECIMAL(18,2)), NULL, NULL, NULL, "
        f"CASE WHEN starts_with(upper(invoice), 'C') THEN min(invoice_date) END, NULL, "
        f"min(_file), min(_line), {at} FROM {valid} GROUP BY invoice ORDER BY min(_line)"
    )
    con.execute(
        f"INSERT INTO raw.order_items SELECT l.invoice, l.stock_code, "
        f"CAST(sum(abs(l.quantity)) AS INTEGER), "
        f"CAST(coalesce(sum(abs(l.quantity) * l.price) / nullif(sum(abs(l.quantity)), 0), "
        f"max(l.price)) AS DECIMAL(18,2)), any_value(p.list_price), NULL, "
        f"min(l._file), min(l._line), {at} FROM {valid} l "
        f"JOIN raw.products p ON p.product_id = l.stock_code "
        f"GROUP BY l.invoice, l.stock_code ORDER BY min(l._line)"
    )
