"""Hand-written raw rows for the warehouse tests, small enough to compute every metric by hand."""

from __future__ import annotations

from datetime import datetime

# customer_id, email, phone, country, birth_date, signed_up_at, email/sms consent, preferred channel
CUSTOMERS = [
    (
        "c1",
        " Alice@Example.COM ",
        "07911 123456",
        "GB",
        "1990-07-15",
        "2023-01-01",
        "subscribed",
        "subscribed",
        None,
    ),
    (
        "c2",
        "bob@example",
        "+1 (415) 555-0100",
        "US",
        None,
        "2023-12-01",
        "subscribed",
        "not_subscribed",
        None,
    ),
    (
        "c3",
        "carol@example.com",
        "0049 30 1234567",
        "Germany",
        None,
        "2023-02-01",
        "unsubscribed",
        "subscribed",
        "sms",
    ),
    (
        "c4",
        "dan@example.com",
        "n/a",
        "FR",
        None,
        "2024-05-01",
        "subscribed",
        "not_subscribed",
        None,
    ),
    # signed up after the default as_of (2024-07-01): not known yet
    ("c5", "eve@example.com", None, "NL", None, "2024-08-01", "subscribed", "not_subscribed", None),
]
# an older load of c1 with another email: deduplication keeps the latest load
STALE_CUSTOMER = (
    "c1",
    "old@example.com",
    None,
    "GB",
    None,
    "2023-01-01",
    "unsubscribed",
    "not_subscribed",
    None,
)

# order_id, customer_id, ordered_at, status, total, shipping, discount, discount_code, delivered_at
ORDERS = [
    ("o1", "c1", "2023-01-10 10:00", "delivered", 110, 10, 0, None, "2023-01-13 10:00"),
    ("o2", "c1", "2023-06-15 10:00", "delivered", 55, 5, 10, "SAVE10", "2023-06-18 10:00"),
    ("o3", "c1", "2024-06-01 09:00", "delivered", 200, 0, 0, None, None),
    ("o4", "c1", "2024-06-20 09:00", "cancelled", 80, 0, 0, None, None),
    ("o5", "c2", "2024-01-05 12:00", "delivered", 40, 0, 0, None, "2024-01-08 12:00"),
    ("o6", "c2", "2024-02-05 12:00", "returned", 60, 0, 0, None, None),
    ("o7", "c3", "2023-03-01 08:00", "delivered", 30, 0, 0, None, None),
    ("o8", "c3", "2023-04-01 08:00", "delivered", 30, 0, 0, None, None),
    ("o9", "c3", "2023-05-01 08:00", "delivered", 30, 0, 0, None, None),
    ("o10", "c3", "2023-06-01 08:00", "delivered", 30, 0, 0, None, None),
    ("o11", None, "2024-06-30 18:00", "delivered", 25, 0, 0, None, None),  # anonymous, latest
    ("o12", "c6", "2024-03-10 11:00", "shipped", 70, 0, 0, None, None),  # not in customers
]

# order_id, product_id, size, quantity, unit_price, list_price
ORDER_ITEMS = [
    ("o1", "P1", "M", 1, 100, 100),
    ("o2", "P1", "M", 1, 50, 50),
    ("o2", "P2", "M", 1, 10, 20),
    ("o3", "P1", "L", 1, 100, 100),
    ("o3", "P2", "L", 2, 50, 50),
    ("o4", "P3", "M", 1, 80, 80),
    ("o5", "P2", "S", 1, 40, 40),
    ("o6", "P1", "S", 1, 60, 60),
    ("o7", "P3", "L", 1, 30, 30),
    ("o8", "P3", "L", 1, 30, 30),
    ("o9", "P3", "L", 1, 20, 30),
    ("o9", "P1", "L", 1, 10, 10),
    ("o10", "P3", "L", 1, 30, 30),
    ("o11", "P1", None, 1, 15, 15),
    ("o11", "P2", None, 1, 10, 10),
    ("o12", "P1", "M", 1, 70, 70),
]

PRODUCTS = [
    ("P1", "Shirt", "Tops", 100),
    ("P2", "Socks", "Accessories", 50),
    ("P3", "Jeans", "Bottoms", 30),
]

# customer_id, event_type, occurred_at, channel
EVENTS = [
    *[("c1", "email_open", f"2024-06-{day:02d} 09:00", "email") for day in (10, 12, 14)],
    *[("c1", "email_click", f"2024-06-{day:02d} 09:05", "email") for day in (10, 12)],
    ("c2", "site_visit", "2024-06-25 10:00", "web"),
    ("c2", "email_open", "2024-07-05 10:00", "email"),  # after as_of: ignored
    ("c3", "sms_click", "2024-05-01 10:00", "sms"),
]

# customer_id, order_id, submitted_at, nps_score, csat_score
FEEDBACK = [
    ("c1", "o3", "2024-06-05 10:00", 10, 5),
    ("c2", None, "2024-06-06 10:00", 9, 4),
    ("c3", None, "2024-06-07 10:00", 6, 2),
    ("c6", "o12", "2024-06-08 10:00", 8, None),
    ("c3", "o10", "2024-05-02 10:00", 3, 1),
]

# order_id, status, occurred_at
SHIPMENT_EVENTS = [
    ("o3", "label_created", "2024-06-02 09:00"),
    ("o3", "in_transit", "2024-06-03 09:00"),
    ("o3", "delivered", "2024-06-12 09:00"),
]


# Online Retail II shape: invoices (C... = cancellation), anonymous invoices, stock codes without
# categories or sizes, customers with only a country.
RETAIL_ORDERS = [
    ("489434", "13085", "2009-12-01 07:45", "delivered", 505.30),
    ("489435", "13085", "2010-01-05 07:46", "delivered", 145.80),
    ("C489449", "16321", "2009-12-01 10:33", "cancelled", 8.50),
    ("489450", "16321", "2009-12-02 10:33", "delivered", 30.00),
    ("489464", None, "2010-02-01 10:52", "delivered", 12.75),
    ("489465", "12682", "2010-02-15 11:00", "delivered", 60.00),
]
RETAIL_ITEMS = [
    ("489434", "85048", 12, 6.95), ("489434", "79323P", 12, 6.75),
    ("489435", "85048", 6, 6.95), ("489435", "22041", 24, 3.50),
    ("C489449", "22087", 12, 0.71), ("489450", "85048", 2, 6.95), ("489450", "79323P", 2, 6.75),
    ("489464", "21756", 1, 12.75), ("489465", "85048", 4, 6.95), ("489465", "79323P", 4, 6.75),
]  # fmt: skip
RETAIL_CUSTOMERS = [("13085", "United Kingdom"), ("16321", "Australia"), ("12682", "France")]


def ts(value: str | None) -> datetime | None:
    """Parse the fixture's 'YYYY-MM-DD[ HH:MM]' strings."""
    if value is None:
        return None
    return datetime.fromisoformat(value)
