"""Generic signed webhook: JSON batches POSTed to `<WEBHOOK_BASE_URL>/<target>`.

Body: {"sync", "op", "records": [{"key", "identifiers", "fields"}]}. Header
`X-Retention-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with
WEBHOOK_API_KEY>` (Stripe's scheme): a receiver recomputes the HMAC over the timestamp, a dot and
the raw body, compares in constant time, and rejects timestamps more than 5 minutes from its
clock, so a captured request cannot be replayed later (`verify` does all three). Each batch
also carries an `Idempotency-Key` so receivers can drop a retried delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.ratelimit import RateLimit

SIGNATURE_HEADER = "X-Retention-Signature"
TOLERANCE_S = 300  # receivers reject signatures older (or newer) than this


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value `t=<timestamp>,v1=<hmac>` for `body` (timestamp: now)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, t, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> str | None:
    """Check a signature header as a receiver should; None if valid, else what is wrong."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return "signature header has no timestamp t=..."
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return f"signature timestamp is outside the {tolerance_s} s tolerance (replay?)"
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        return "signature does not match the body"
    return None


class WebhookOptions(BaseModel):
    """Options of a webhook sync."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(100, ge=1, le=10_000)


class WebhookDestination(HttpDestination):
    """Any HTTPS receiver verifying an HMAC signature."""

    name = "webhook"
    Options = WebhookOptions
    default_base_url = ""
    limits: ClassVar[dict[str, RateLimit]] = {"post": RateLimit(10.0, 10)}

    def __init__(self, sync, connection=None) -> None:
        super().__init__(sync, connection)
        self.upsert_batch_size = self.remove_batch_size = self.options.batch_size
        if not self.client.base_url:
            from activation.errors import SyncConfigError

            raise SyncConfigError(
                f"sync '{sync.name}': no webhook base URL; export WEBHOOK_BASE_URL "
                "(the receiver's https URL)"
            )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {}

    def _post(self, op: str, records: list[Record]) -> RowFailures:
        body = json.dumps(
            {
                "sync": self.sync.name,
                "op": op,
                "records": [
                    {"key": r.key, "identifiers": r.identifiers, "fields": r.fields}
                    for r in records
                ],
            },
            separators=(",", ":"),
        ).encode()
        digest = hashlib.sha256(body).hexdigest()[:32]
        self.client.request(
            "POST",
            "/" + self.sync.target.lstrip("/"),
            limit="post",
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.api_key, body),
            },
            idempotency_key=f"{self.sync.name}:{op}:{digest}",
        )
        return {}

    def upsert(self, records: list[Record]) -> RowFailures:
        return self._post("upsert", records)

    def remove(self, records: list[Record]) -> RowFailures:
        return self._post("remove", records)
