"""Sendlane API v2: add contacts to a list (100 per request, accepted with 202)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.ratelimit import RateLimit


class SendlaneOptions(BaseModel):
    """Options of a Sendlane sync: the numeric list id (`target` is its display name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_id: int = Field(gt=0)


class SendlaneDestination(HttpDestination):
    """Sendlane list; upsert only (the v2 API has no safe bulk list removal)."""

    name = "sendlane"
    Options = SendlaneOptions
    channels = frozenset({"email", "sms"})
    identifier_keys = frozenset({"email", "phone"})
    channel_identifier: ClassVar[dict[str, str]] = {"email": "email", "sms": "phone"}
    supports_mirror = False
    upsert_batch_size = 100
    default_base_url = "https://api.sendlane.com/v2"
    limits: ClassVar[dict[str, RateLimit]] = {"api": RateLimit(5.0, 5)}

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def upsert(self, records: list[Record]) -> RowFailures:
        contacts = []
        for r in records:
            contact = {k: v for k, v in r.identifiers.items() if v is not None}
            custom = {k: v for k, v in r.fields.items() if k not in ("first_name", "last_name")}
            for key in ("first_name", "last_name"):
                if r.fields.get(key) is not None:
                    contact[key] = r.fields[key]
            if custom:
                contact["custom_fields"] = [
                    {"name": k, "value": "" if v is None else str(v)} for k, v in custom.items()
                ]
            contacts.append(contact)
        reply = self.client.request_json(
            "POST",
            f"/lists/{self.options.list_id}/contacts",
            limit="api",
            json_body={"contacts": contacts},
        )
        errors = reply.get("errors") or []
        return {
            records[e["index"]].key: e["message"]
            for e in errors
            if isinstance(e.get("index"), int) and e["index"] < len(records)
        }
