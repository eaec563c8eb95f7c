"""Generic signed webhook: JSON batches POSTed to `<WEBHOOK_BASE_URL>/<target>`.

Body: {"sync", "op", "records": [{"key", "identifiers", "fields"}]}. Header
`X-Retention-Signature: sha256=<hex HMAC-SHA256 of the body with WEBHOOK_API_KEY>`, plus an
`Idempotency-Key` per batch so receivers can drop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.ratelimit import RateLimit

SIGNATURE_HEADER = "X-Retention-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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

    def __init__(self, sync, env=None) -> None:
        super().__init__(sync, env)
        self.upsert_batch_size = self.remove_batch_size = self.options.batch_size
        if not self.client.base_url:
            from activation.errors import SyncConfigError

            raise SyncConfigError(
                f"sync '{sync.name}': environment variable WEBHOOK_BASE_URL is not set; "
                "export the receiver's base URL"
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
