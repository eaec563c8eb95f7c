"""Attentive: subscribe new SMS subscribers (one per request) and set custom attributes.

Attentive keeps opted-out subscribers opted out when they are subscribed again. Consent
withdrawn in the warehouse is sent with `POST /subscriptions/unsubscribe` (one per request).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.errors import RequestRejectedError
from activation.ratelimit import RateLimit


class AttentiveOptions(BaseModel):
    """Options of an Attentive sync: `target` is the sign-up source id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: str = Field("en-US", min_length=2)


class AttentiveDestination(HttpDestination):
    """Attentive SMS subscribers + custom attributes; upsert only, withdrawals opt out."""

    name = "attentive"
    Options = AttentiveOptions
    channels = frozenset({"sms"})
    identifier_keys = frozenset({"phone", "email"})
    channel_identifier: ClassVar[dict[str, str]] = {"sms": "phone"}
    supports_mirror = False
    upsert_batch_size = 50
    remove_batch_size = 50
    unsubscribe_channels = frozenset({"sms"})
    default_base_url = "https://api.attentivemobile.com/v1"
    limits: ClassVar[dict[str, RateLimit]] = {
        "subscribers": RateLimit(10.0, 10),
        "attributes": RateLimit(10.0, 10),
        "unsubscribe": RateLimit(10.0, 10),
    }

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def _user(self, record: Record) -> dict:
        return {k: v for k, v in record.identifiers.items() if v is not None}

    def upsert(self, records: list[Record]) -> RowFailures:
        failures: RowFailures = {}
        for record in records:
            try:
                if record.op == "add":
                    self.client.request(
                        "POST",
                        "/subscribers",
                        limit="subscribers",
                        json_body={
                            "user": self._user(record),
                            "signUpSourceId": self.sync.target,
                            "locale": self.options.locale,
                        },
                        idempotency_key=f"{self.sync.name}:{record.key}:subscribe",
                    )
                if record.fields:
                    self.client.request(
                        "POST",
                        "/attributes/custom",
                        limit="attributes",
                        json_body={
                            "user": self._user(record),
                            "properties": {
                                k: "" if v is None else v for k, v in record.fields.items()
                            },
                        },
                    )
            except RequestRejectedError as exc:
                failures[record.key] = exc.body or str(exc)
        return failures

    def remove(self, records: list[Record]) -> RowFailures:
        """Unsubscribe records whose SMS consent was withdrawn (the only removals sent here)."""
        failures: RowFailures = {}
        for record in records:
            if record.reason != "consent_withdrawn":
                continue
            try:
                self.client.request(
                    "POST",
                    "/subscriptions/unsubscribe",
                    limit="unsubscribe",
                    json_body={"user": self._user(record)},
                )
            except RequestRejectedError as exc:
                failures[record.key] = exc.body or str(exc)
        return failures
