"""Small exports in the real vendor layouts, written deterministically for the end-to-end tests.

Online Retail II (UCI invoice lines): `C` cancellation invoices with negative quantities, lines
without a Customer ID, postage lines, float-formatted customer ids, several countries.
Shopify (Admin > Orders > Export, plain CSV): one row per line item with order fields on the
first line only, several currencies, refunded and voided orders, orders without an email,
letter sizes in line item names and a UTC offset on timestamps.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

RETAIL_HEADER = [
    "Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID",
    "Country",
]  # fmt: skip
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25),
    ("22633", "HAND WARMER UNION JACK", 1.85),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10),
]
COUNTRIES = ["United Kingdom", "United Kingdom", "United Kingdom", "France", "Germany", "EIRE"]


def write_online_retail(path: Path, customers: int = 70, seed: int = 5) -> int:
    """Invoice lines of `customers` customers over 2010-01..2011-09; returns lines written."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    invoice = 489_000
    start = datetime(2010, 1, 4, 8, 0)
    for index in range(customers):
        customer = f"{12_346 + index * 7}.0"
        country = rng.choice(COUNTRIES)
        visits = rng.choice([1, 1, 2, 2, 3, 4, 6])
        day = rng.randrange(0, 420)
        for _ in range(visits):
            invoice += 1
            at = start + timedelta(days=day, minutes=rng.randrange(0, 600))
            lines = rng.sample(PRODUCTS, rng.randint(1, 4))
            anonymous = rng.random() < 0.08
            for code, name, price in lines:
                quantity = rng.choice([1, 2, 3, 6, 12, 24])
                rows.append(
                    [str(invoice), code, name, str(quantity), f"{at:%Y-%m-%d %H:%M:%S}",
                     f"{price:.2f}", "" if anonymous else customer, country]
                )  # fmt: skip
            if rng.random() < 0.3:
                rows.append(
                    [str(invoice), "POST", "POSTAGE", "1", f"{at:%Y-%m-%d %H:%M:%S}", "18.00",
                     "" if anonymous else customer, country]
                )  # fmt: skip
            if rng.random() < 0.12:  # cancel one line a few days later
                code, name, price = lines[0]
                later = at + timedelta(days=rng.randint(1, 5))
                rows.append(
                    [f"C{invoice}", code, name, f"-{rng.choice([1, 2])}",
                     f"{later:%Y-%m-%d %H:%M:%S}", f"{price:.2f}", customer, country]
                )  # fmt: skip
            day += rng.randint(20, 120)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(RETAIL_HEADER)
        writer.writerows(rows)
    return len(rows)


SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Billing Name",
    "Billing City", "Billing Country", "Billing Phone", "Cancelled at", "Refunded Amount",
    "Vendor", "Phone",
]  # fmt: skip
GARMENTS = [
    ("Linen Shirt", "Atelier", 59.0), ("Merino Tee", "Atelier", 35.0),
    ("Canvas Tote", "Goods", 22.0), ("Wool Beanie", "Goods", 18.0),
    ("Denim Jacket", "Atelier", 120.0),
]  # fmt: skip
MARKETS = [("EUR", "FR", "Paris"), ("USD", "US", "Austin"), ("GBP", "GB", "Leeds")]


def write_shopify(path: Path, customers: int = 60, seed: int = 9) -> int:
    """An orders export of `customers` customers over 2023-01..2024-06; returns lines written."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    number = 1000
    start = datetime(2023, 1, 9, 10, 0)
    for index in range(customers):
        email = f"customer{index:03d}@example.com"
        currency, country, city = MARKETS[index % len(MARKETS)]
        marketing = "yes" if rng.random() < 0.7 else "no"
        day = rng.randrange(0, 300)
        for _ in range(rng.choice([1, 1, 2, 3, 4, 5])):
            number += 1
            at = start + timedelta(days=day, minutes=rng.randrange(0, 900))
            lines = rng.sample(GARMENTS, rng.randint(1, 3))
            subtotal = sum(price for _, _, price in lines)
            discount = round(subtotal * 0.1, 2) if rng.random() < 0.25 else 0.0
            outcome = rng.random()
            status, cancelled, refunded = "paid", "", ""
            if outcome < 0.07:
                status, cancelled = "voided", f"{at + timedelta(hours=3):%Y-%m-%d %H:%M:%S} +0100"
            elif outcome < 0.14:
                status, refunded = "refunded", f"{subtotal - discount:.2f}"
            total = subtotal - discount + 6.0
            anonymous = rng.random() < 0.06
            for position, (name, vendor, price) in enumerate(lines):
                size = rng.choice(["S", "M", "L", "XL"])
                row = {
                    "Name": f"#{number}",
                    "Email": "" if anonymous else email,
                    "Created at": f"{at:%Y-%m-%d %H:%M:%S} +0100",
                    "Lineitem quantity": "1",
                    "Lineitem name": f"{name} - {size}",
                    "Lineitem price": f"{price:.2f}",
                    "Lineitem sku": f"{name[:3].upper()}-{size}",
                    "Vendor": vendor,
                }
                if position == 0:
                    row |= {
                        "Financial Status": status,
                        "Paid at": row["Created at"],
                        "Fulfillment Status": "fulfilled" if status == "paid" else "unfulfilled",
                        "Accepts Marketing": marketing,
                        "Currency": currency,
                        "Subtotal": f"{subtotal - discount:.2f}",
                        "Shipping": "6.00",
                        "Taxes": "0.00",
                        "Total": f"{total:.2f}",
                        "Discount Code": "WELCOME10" if discount else "",
                        "Discount Amount": f"{discount:.2f}",
                        "Shipping Method": "Standard",
                        "Billing Name": f"Customer {index}",
                        "Billing City": city,
                        "Billing Country": country,
                        "Billing Phone": f"+3361234{index:04d}",
                        "Cancelled at": cancelled,
                        "Refunded Amount": refunded,
                    }
                rows.append(row)
            day += rng.randint(15, 150)
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, SHOPIFY_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
