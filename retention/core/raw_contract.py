"""The canonical raw input contract: one spec per raw table (see DESIGN.md, "Raw input contract").

Ingest adapters produce rows in exactly these columns; `raw.<table>` in DuckDB has these columns
and types plus the lineage columns `_source_file`, `_source_line` and `_loaded_at`.
dbt sources (`dbt_project/models/staging/_shop__sources.yml`) declare the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONSENT_VALUES = ("subscribed", "unsubscribed", "not_subscribed")
ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
EVENT_TYPES = (
    "email_open",
    "email_click",
    "sms_click",
    "site_visit",
    "product_view",
    "add_to_cart",
    "checkout_started",
    "quiz_answer",
)
SHIPMENT_STATUSES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception")
CHANNELS = ("email", "sms", "whatsapp")
LINEAGE_COLUMNS = {"_source_file": "VARCHAR", "_source_line": "BIGINT", "_loaded_at": "TIMESTAMP"}


@dataclass(frozen=True)
class TableSpec:
    """One raw table: ordered columns with DuckDB types, keys, and row rules."""

    name: str
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    int_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    # column -> (parent table, parent column); rows whose key has no parent are orphans
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)


MONEY = "DECIMAL(18,2)"

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "customers",
            {
                "customer_id": "VARCHAR",
                "email": "VARCHAR",
                "phone": "VARCHAR",
                "first_name": "VARCHAR",
                "last_name": "VARCHAR",
                "country": "VARCHAR",
                "city": "VARCHAR",
                "birth_date": "DATE",
                "signed_up_at": "TIMESTAMP",
                "acquisition_channel": "VARCHAR",
                "email_consent": "VARCHAR",
                "sms_consent": "VARCHAR",
                "whatsapp_consent": "VARCHAR",
                "preferred_channel": "VARCHAR",
            },
            primary_key=("customer_id",),
            required=("customer_id",),
            accepted_values={
                "email_consent": CONSENT_VALUES,
                "sms_consent": CONSENT_VALUES,
                "whatsapp_consent": CONSENT_VALUES,
                "preferred_channel": CHANNELS,
            },
        ),
        TableSpec(
            "orders",
            {
                "order_id": "VARCHAR",
                "customer_id": "VARCHAR",
                "ordered_at": "TIMESTAMP",
                "status": "VARCHAR",
                "currency": "VARCHAR",
                "subtotal": MONEY,
                "discount_amount": MONEY,
                "shipping_amount": MONEY,
                "total": MONEY,
                "discount_code": "VARCHAR",
                "shipped_at": "TIMESTAMP",
                "delivered_at": "TIMESTAMP",
                # optional: when the order was cancelled / returned, so a build as of an
                # earlier date still sees the purchase
                "cancelled_at": "TIMESTAMP",
                "returned_at": "TIMESTAMP",
            },
            primary_key=("order_id",),
            required=("order_id", "ordered_at", "status", "total"),
            non_negative=("subtotal", "discount_amount", "shipping_amount", "total"),
            accepted_values={"status": ORDER_STATUSES},
            parents={"customer_id": ("customers", "customer_id")},
        ),
        TableSpec(
            "order_items",
            {
                "order_id": "VARCHAR",
                "product_id": "VARCHAR",
                "quantity": "INTEGER",
                "unit_price": MONEY,
                "list_price": MONEY,
                "size": "VARCHAR",
            },
            primary_key=("order_id", "product_id", "size"),
            required=("order_id", "product_id", "quantity", "unit_price"),
            non_negative=("quantity", "unit_price", "list_price"),
            parents={"order_id": ("orders", "order_id"), "product_id": ("products", "product_id")},
        ),
        TableSpec(
            "products",
            {
                "product_id": "VARCHAR",
                "name": "VARCHAR",
                "category": "VARCHAR",
                "list_price": MONEY,
            },
            primary_key=("product_id",),
            required=("product_id",),
            non_negative=("list_price",),
        ),
        TableSpec(
            "events",
            {
                "customer_id": "VARCHAR",
                "event_type": "VARCHAR",
                "occurred_at": "TIMESTAMP",
                "channel": "VARCHAR",
                "product_id": "VARCHAR",
                "properties": "JSON",
            },
            required=("customer_id", "event_type", "occurred_at"),
            accepted_values={"event_type": EVENT_TYPES},
            parents={"customer_id": ("customers", "customer_id")},
        ),
        TableSpec(
            "feedback",
            {
                "customer_id": "VARCHAR",
                "order_id": "VARCHAR",
                "submitted_at": "TIMESTAMP",
                "nps_score": "INTEGER",
                "csat_score": "INTEGER",
                "comment": "VARCHAR",
            },
            required=("customer_id", "submitted_at"),
            int_ranges={"nps_score": (0, 10), "csat_score": (1, 5)},
            parents={"customer_id": ("customers", "customer_id")},
        ),
        TableSpec(
            "shipment_events",
            {
                "order_id": "VARCHAR",
                "status": "VARCHAR",
                "occurred_at": "TIMESTAMP",
                "carrier": "VARCHAR",
                "tracking_number": "VARCHAR",
            },
            required=("order_id", "status", "occurred_at"),
            accepted_values={"status": SHIPMENT_STATUSES},
            parents={"order_id": ("orders", "order_id")},
        ),
    )
}

# Load order: parents before children, so orphan checks can see the parents.
LOAD_ORDER = (
    "customers",
    "products",
    "orders",
    "order_items",
    "events",
    "feedback",
    "shipment_events",
)
