"""Words a marketer reads: column and scorer names, destinations, money and counts."""

from __future__ import annotations

import math
import re

# Words that are acronyms or brand names rather than lower-case English.
_WORDS = {
    "aov": "AOV",
    "auc": "AUC",
    "bgnbd": "BG/NBD",
    "clv": "CLV",
    "csat": "CSAT",
    "id": "ID",
    "logreg": "logistic regression",
    "ltv": "LTV",
    "nps": "NPS",
    "p": "P",
    "pr": "PR",
    "rfm": "RFM",
    "roc": "ROC",
    "sms": "SMS",
    "vip": "VIP",
}
# Column names whose plain reading would mislead.
_COLUMNS = {
    "avg_recency_days": "avg. days since last order",
    "share": "share of customers",
    "sync_name": "sync",
    "record_key": "record",
    "op": "operation",
    "finished_at": "finished",
    "skipped_no_consent": "skipped: no consent",
    "skipped_suppressed": "skipped: unsubscribed or suppressed",
    "skipped": "skipped: no consent, unsubscribed or suppressed",
    "drift_at_provider": "drift at the provider",
    "message": "error",
    "next_action": "suggested next action",
}
DESTINATIONS = {
    "attentive": "Attentive",
    "braze": "Braze",
    "file": "File export",
    "iterable": "Iterable",
    "klaviyo": "Klaviyo",
    "mailchimp": "Mailchimp",
    "sendlane": "Sendlane",
    "twilio": "Twilio SMS",
    "webhook": "Webhook",
    "whatsapp": "WhatsApp",
}
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def words(name: str, capital: bool = True) -> str:
    """`clv_tier` -> `CLV tier`: snake_case as words, acronyms upper-case, first letter capital."""
    text = " ".join(_WORDS.get(part, part) for part in name.split("_") if part)
    return text[:1].upper() + text[1:] if capital else text


def column(name: str) -> str:
    """Table header for column `name`."""
    return words(_COLUMNS.get(name, name).replace(" ", "_"))


def destination(name: str) -> str:
    """Vendor name of destination key `name`, e.g. `whatsapp` -> `WhatsApp`."""
    return DESTINATIONS.get(name, words(name))


def outcome(name: str) -> str:
    """Label of a sync outcome column (added, skipped_no_consent, ...)."""
    return column(name)


def is_snake_case(text: str) -> bool:
    """True when `text` contains an identifier like `rfm_segment`."""
    return bool(_SNAKE.search(text))


class Money:
    """Formats amounts in the store's currency: `$12,345` or `12,345 SEK`."""

    def __init__(self, currency: str | None) -> None:
        self.code = (currency or "").upper()
        self.symbol = _CURRENCY_SYMBOLS.get(self.code, "")

    def __call__(self, value: float, decimals: int = 0) -> str:
        """`value` with the currency and thousands separators."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        sign = "-" if value < 0 else ""
        number = f"{abs(value):,.{decimals}f}"
        if self.symbol:
            return f"{sign}{self.symbol}{number}"
        return f"{sign}{number} {self.code}".rstrip()

    @property
    def axis_prefix(self) -> str:
        """Tick prefix for a plotly axis (the symbol, or nothing)."""
        return self.symbol

    @property
    def axis_title_suffix(self) -> str:
        """` (SEK)` for currencies without a symbol, so axes still name the unit."""
        return f" ({self.code})" if self.code and not self.symbol else ""


def count(value: float, noun: str, plural: str | None = None) -> str:
    """`1,234 customers`, `1 customer`."""
    n = int(value)
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def signed(value: float) -> str:
    """`+12`, `−3` (minus sign), `0`: a change in a count."""
    n = int(value)
    if n > 0:
        return f"+{n:,}"
    if n < 0:
        return f"\u2212{abs(n):,}"
    return "0"


def nice_step(span: float, intervals: int = 4) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k step so `intervals` steps cover `span`."""
    if span <= 0 or math.isnan(span):
        return 1.0
    raw = span / intervals
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * power >= raw - 1e-12:
            return multiple * power
    return 10 * power
