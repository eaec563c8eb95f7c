"""The `shopify` format: Shopify orders export CSV (Admin > Orders > Export, plain CSV) -> orders,
order items, products, customers.

The export has one row per line item; order-level columns (Financial Status, Total, Billing
Name, ...) are filled on the first line of each order only, so an order takes each of them from
the first of its valid lines that has one. Mapping:

- customers: keyed by the lower-cased Email; `customer_id` is `shp_` + the first 16 hex digits of
  its MD5, so the address itself (PII) is not repeated as a key in every downstream table.
  Accepts Marketing yes/no -> email_consent subscribed/not_subscribed; phone from Phone, else
  Billing Phone; names, country and city from billing (latest order wins). Orders without an
  Email are anonymous: kept with a NULL customer_id, counted, never customers.
- orders: keyed by Name (`#1001`). Status: Cancelled at set or financial status `voided` ->
  cancelled; `refunded` -> returned; fulfillment status `fulfilled` -> shipped (shipped_at =
  Fulfilled at); otherwise placed. subtotal = Subtotal + Discount Amount (Shopify's Subtotal is
  after discounts), total = Total (the amount paid); cancelled_at = Cancelled at. Timestamps
  are converted to UTC with their offset (`2024-03-05 14:22:11 +0100` -> `13:22:11`).
- order_items / products: product_id = Lineitem sku, else `name-` + an MD5 prefix of the line
  item name without its size; size is a letter size after ` - ` or `/` at the end of the name
  (`Tee - M`, `Tee - Black / XL`), else NULL; list_price = compare-at price or price; category
  = Vendor.

Rows are checked one by one like any CSV, then per order: lines of an order whose valid lines
carry no Created at or Total (its first line was quarantined or is absent) are quarantined, and
so are lines of a Name already read from an earlier file (overlapping exports).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention.core.raw_contract import MONEY, TableSpec
from retention.ingest.csv_files import (
    csv_paths,
    csv_source,
    map_columns,
    normalise,
    read_header,
)
from retention.ingest.loader import replace_from_export, union_view
from retention.ingest.options import IngestOptions
from retention.ingest.raw_tables import (
    ident,
    insert_into,
    literal,
)
from retention.ingest.report import Writer, Written
from retention.ingest.rules import csv_text_expr
from retention.ingest.staging import Staged, check_source, unique_name

FORMAT = "shopify"
ENTITY = "shopify_order_lines"
# Export header -> type; each becomes a column named by its normalised header (`Paid at` ->
# `paid_at`), so quarantine reasons name the export's own columns.
COLUMNS = {
    "Name": "VARCHAR",
    "Email": "VARCHAR",
    "Financial Status": "VARCHAR",
    "Fulfillment Status": "VARCHAR",
    "Fulfilled at": "TIMESTAMP",
    "Accepts Marketing": "VARCHAR",
    "Currency": "VARCHAR",
    "Subtotal": MONEY,
    "Shipping": MONEY,
    "Total": MONEY,
    "Discount Code": "VARCHAR",
    "Discount Amount": MONEY,
    "Created at": "TIMESTAMP",
    "Lineitem quantity": "INTEGER",
    "Lineitem name": "VARCHAR",
    "Lineitem price": MONEY,
    "Lineitem compare at price": MONEY,
    "Lineitem sku": "VARCHAR",
    "Billing Name": "VARCHAR",
    "Billing City": "VARCHAR",
    "Billing Country": "VARCHAR",
    "Billing Phone": "VARCHAR",
    "Phone": "VARCHAR",
    "Cancelled at": "TIMESTAMP",
    "Vendor": "VARCHAR",
}
HEADER_REQUIRED = (
    "Name",
    "Email",
    "Created at",
    "Total",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
)
LINES = TableSpec(
    ENTITY,
    {normalise(header): dtype for header, dtype in COLUMNS.items()},
    required=("name", "lineitem_quantity", "lineitem_name", "lineitem_price"),
    non_negative=(
        "subtotal",
        "shipping",
        "total",
        "discount_amount",
        "lineitem_quantity",
        "lineitem_price",
        "lineitem_compare_at_price",
    ),
    accepted_values={"accepts_marketing": ("yes", "no")},
)
LOWERED = ("email", "financial_status", "fulfillment_status", "accepts_marketing")
SIZE_SUFFIX = "\\s*(?:\\s-|/)\\s*(XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL)$"
TABLES_WRITTEN = ("customers", "products", "orders", "order_items")


def prepare(con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions) -> Writer:
    """Check and stage Shopify orders export file(s); return the step writing `raw`."""
    wanted = {normalise(h): (h,) for h in COLUMNS}
    required = tuple(normalise(h) for h in HEADER_REQUIRED)
    staged = []
    for file in csv_paths(path, f"Shopify orders; expected columns: {', '.join(COLUMNS)}"):
        delimiter, header = read_header(file)
        mapping = map_columns(file, header, wanted, required, "a Shopify orders export")
        src = csv_source(file, ENTITY, delimiter, header, mapping, tuple(LINES.columns), options)
        for col in LOWERED:
            src.columns[col] = f"lower(trim({src.columns[col]}))"
        staged.append(check_source(con, src, LINES, options=options))
    view = union_view(con, staged, ENTITY)
    _check_orders(con, view, staged)

    def write(loaded_at: str) -> Written:
        return replace_from_export(
            con,
            view,
            staged,
            entity=ENTITY,
            fmt=FORMAT,
            tables=TABLES_WRITTEN,
            write_rows=lambda: _write_tables(con, view, loaded_at),
            replace=options.replace,
            loaded_at=loaded_at,
        )

    return write


def _check_orders(con: duckdb.DuckDBPyConnection, view: str, staged: list[Staged]) -> None:
    """Give a reason to valid lines of orders without order fields or read from an earlier file."""
    orders = unique_name("shopify_order_check")
    con.execute(
        f"CREATE TEMP TABLE {orders} AS "
        f"WITH owners AS (SELECT name, min(_file) AS owner FROM {view} "
        f"WHERE _reason IS NULL GROUP BY name) "
        f"SELECT o.name, o.owner, "
        f"bool_or(v.created_at IS NOT NULL) AND bool_or(v.total IS NOT NULL) AS complete "
        f"FROM owners o JOIN {view} v ON v.name = o.name AND v._file = o.owner "
        f"WHERE v._reason IS NULL GROUP BY o.name, o.owner"
    )
    text = csv_text_expr([f"CAST(c.{ident(col)} AS VARCHAR)" for col in LINES.columns], ",")
    for s in staged:
        file = literal(s.source_file)
        con.execute(
            f"UPDATE {s.checked} AS c SET _raw = {text}, _reason = CASE "
            f"WHEN o.owner <> {file} THEN 'duplicate order: Name ''' || c.name || ''' already "
            f"read from ' || o.owner "
            f"ELSE 'order without its order fields: no valid line of ''' || c.name || ''' has "
            f"Created at and Total (its first line is missing or was quarantined)' END "
            f"FROM {orders} o WHERE c.name = o.name AND c._reason IS NULL "
            f"AND (o.owner <> {file} OR NOT o.complete)"
        )


def _write_tables(con: duckdb.DuckDBPyConnection, view: str, loaded_at: str) -> int:
    """Fill the four tables from the valid lines; return the number of anonymous lines."""
    at = f"TIMESTAMP {literal(loaded_at)}"
    lines = unique_name("shopify_lines")
    con.execute(
        f"CREATE TEMP TABLE {lines} AS SELECT *, "
        f"coalesce(lineitem_sku, 'name-' || left(md5(lower(base_name)), 12)) AS product_id "
        f"FROM (SELECT *, "
        f"upper(nullif(regexp_extract(lineitem_name, '{SIZE_SUFFIX}', 1, 'i'), '')) AS size, "
        f"trim(regexp_replace(lineitem_name, '{SIZE_SUFFIX}', '', 'i')) AS base_name "
        f"FROM {view} WHERE _reason IS NULL)"
    )
    orders = unique_name("shopify_orders")
    first = [
        "email",
        "financial_status",
        "fulfillment_status",
        "fulfilled_at",
        "accepts_marketing",
        "currency",
        "subtotal",
        "shipping",
        "total",
        "discount_code",
        "discount_amount",
        "created_at",
        "billing_name",
        "billing_city",
        "billing_country",
        "cancelled_at",
    ]
    con.execute(
        f"CREATE TEMP TABLE {orders} AS SELECT *, "
        f"'shp_' || left(md5(email), 16) AS customer_id FROM (SELECT name, "
        + ", ".join(f"arg_min({c}, _line) AS {c}" for c in first)
        + ", coalesce(arg_min(phone, _line), arg_min(billing_phone, _line)) AS phone, "
        f"count(*) AS line_count, min(_file) AS _file, min(_line) AS _line "
        f"FROM {lines} GROUP BY name)"
    )
    latest = {
        c: f"arg_max({c}, created_at)"
        for c in ("email", "phone", "billing_name", "billing_country", "billing_city")
    }
    con.execute(
        f"INSERT INTO raw.customers (customer_id, email, phone, first_name, last_name, country, "
        f"city, email_consent, _source_file, _source_line, _loaded_at) "
        f"SELECT customer_id, {latest['email']}, {latest['phone']}, "
        f"regexp_extract(trim({latest['billing_name']}), '^\\S+'), "
        f"nullif(regexp_extract(trim({latest['billing_name']}), '^\\S+\\s+(.*)$', 1), ''), "
        f"{latest['billing_country']}, {latest['billing_city']}, "
        f"CASE arg_max(accepts_marketing, created_at) WHEN 'yes' THEN 'subscribed' "
        f"WHEN 'no' THEN 'not_subscribed' END, min(_file), min(_line), {at} "
        f"FROM {orders} WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY min(_line)"
    )
    con.execute(
        f"{insert_into('orders')} SELECT name, customer_id, created_at, "
        f"CASE WHEN cancelled_at IS NOT NULL OR financial_status = 'voided' THEN 'cancelled' "
        f"WHEN financial_status = 'refunded' THEN 'returned' "
        f"WHEN fulfillment_status = 'fulfilled' THEN 'shipped' ELSE 'placed' END, "
        f"currency, subtotal + coalesce(discount_amount, 0), coalesce(discount_amount, 0), "
        f"shipping, total, discount_code, fulfilled_at, NULL, cancelled_at, NULL, "
        f"_file, _line, {at} "
        f"FROM {orders} ORDER BY _line"
    )
    list_price = "greatest(coalesce(lineitem_compare_at_price, lineitem_price), lineitem_price)"
    con.execute(
        f"INSERT INTO raw.products SELECT product_id, mode(base_name), mode(vendor), "
        f"mode({list_price}), min(_file), min(_line), {at} "
        f"FROM {lines} GROUP BY product_id ORDER BY min(_line)"
    )
    con.execute(
        f"INSERT INTO raw.order_items SELECT name, product_id, "
        f"CAST(sum(lineitem_quantity) AS INTEGER), "
        f"CAST(coalesce(sum(lineitem_quantity * lineitem_price) / nullif(sum(lineitem_quantity), "
        f"0), max(lineitem_price)) AS {MONEY}), max({list_price}), size, "
        f"min(_file), min(_line), {at} FROM {lines} "
        f"GROUP BY name, product_id, size ORDER BY min(_line)"
    )
    return con.execute(
        f"SELECT coalesce(sum(line_count), 0) FROM {orders} WHERE customer_id IS NULL"
    ).fetchone()[0]
