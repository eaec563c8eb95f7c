"""Braze `POST /users/track`: 75 attribute objects per request; membership as a custom attribute.

`target` names a boolean custom attribute set to true for members and null on mirror removal.
When `target` is also a field name (e.g. target `clv_tier` with field `clv_tier`), the attribute
carries the field's value instead of true, and is still nulled on removal.
Subscription state is never sent on upsert, so Braze keeps every user's own opt-out; email
consent withdrawn in the warehouse is sent as `email_subscribe: "unsubscribed"`.
"""

from __future__ import annotations

from typing import ClassVar

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.ratelimit import RateLimit


class BrazeDestination(HttpDestination):
    """Braze users identified by external_id."""

    name = "braze"
    channels = frozenset({"email", "sms", "whatsapp"})
    identifier_keys = frozenset({"external_id", "email", "phone"})
    upsert_batch_size = 75
    remove_batch_size = 75
    unsubscribe_channels = frozenset({"email"})
    default_base_url = "https://rest.iad-01.braze.com"
    # /users/track: 3,000 requests per 3 seconds
    limits: ClassVar[dict[str, RateLimit]] = {"users_track": RateLimit(1000.0, 3000)}

    @classmethod
    def check_sync(cls, sync) -> list[tuple[str, str]]:
        problems = super().check_sync(sync)
        if "external_id" not in sync.identifiers:
            problems.append(("identifiers", "an 'external_id' identifier for braze"))
        return problems

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def _track(self, records: list[Record], attributes: list[dict]) -> RowFailures:
        result = self.client.request_json(
            "POST", "/users/track", limit="users_track", json_body={"attributes": attributes}
        )
        return {
            records[e["index"]].key: e.get("type", "invalid attribute object")
            for e in result.get("errors", [])
            if e.get("input_array") == "attributes" and e.get("index", -1) < len(records)
        }

    def upsert(self, records: list[Record]) -> RowFailures:
        attributes = [
            {
                **{k: v for k, v in r.identifiers.items() if v is not None},
                self.sync.target: True,
                **r.fields,
            }
            for r in records
        ]
        return self._track(records, attributes)

    def remove(self, records: list[Record]) -> RowFailures:
        attributes = [
            {
                "external_id": r.identifiers["external_id"],
                self.sync.target: None,
                **(
                    {"email_subscribe": "unsubscribed"}
                    if r.reason == "consent_withdrawn" and self.sync.channel == "email"
                    else {}
                ),
            }
            for r in records
        ]
        return self._track(records, attributes)
