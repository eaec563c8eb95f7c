"""Iterable: `POST /api/users/bulkUpdate` for traits, `/api/lists/subscribe|unsubscribe`.

The target list is found by name (`GET /api/lists`) or created. List subscribe does not lift
a user's global or channel unsubscribe in Iterable, so no status read-back is needed; mirror
removals use list unsubscribe with `channelUnsubscribe: false` (list only), and members whose
consent was withdrawn in the warehouse are unsubscribed with `channelUnsubscribe: true` (the
list's whole email channel).
"""

from __future__ import annotations

from typing import Any, ClassVar

from activation.destinations.base import HttpDestination, Record, RowFailures, chunks
from activation.ratelimit import RateLimit


class IterableDestination(HttpDestination):
    """Iterable static list (target = list name)."""

    name = "iterable"
    channels = frozenset({"email"})
    identifier_keys = frozenset({"email", "userId"})
    channel_identifier: ClassVar[dict[str, str]] = {"email": "email"}
    upsert_batch_size = 1000
    remove_batch_size = 1000
    unsubscribe_channels = frozenset({"email"})
    default_base_url = "https://api.iterable.com"
    limits: ClassVar[dict[str, RateLimit]] = {
        "bulk_update": RateLimit(5.0, 5),
        "lists": RateLimit(10.0, 10),
    }

    list_id: int | None = None

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Api-Key": api_key}

    def _call(self, method: str, path: str, limit: str, **kwargs: Any) -> dict:
        return self.client.request_json(method, path, limit=limit, **kwargs)

    def prepare(self) -> None:
        lists = self._call("GET", "/api/lists", "lists").get("lists", [])
        match = [item for item in lists if item["name"] == self.sync.target]
        if match:
            self.list_id = match[0]["id"]
        else:
            self.list_id = self._call(
                "POST", "/api/lists", "lists", json_body={"name": self.sync.target}
            )["listId"]

    @staticmethod
    def _failures(records: list[Record], result: dict) -> RowFailures:
        invalid = {e.lower() for e in result.get("invalidEmails", [])}
        return {
            r.key: "invalid email (Iterable invalidEmails)"
            for r in records
            if str(r.identifiers.get("email", "")).lower() in invalid
        }

    def upsert(self, records: list[Record]) -> RowFailures:
        users = [
            {**{k: v for k, v in r.identifiers.items() if v is not None}, "dataFields": r.fields}
            for r in records
        ]
        failures = self._failures(
            records,
            self._call("POST", "/api/users/bulkUpdate", "bulk_update", json_body={"users": users}),
        )
        adds = [r for r in records if r.op == "add" and r.key not in failures]
        for group in chunks(adds, self.upsert_batch_size):
            body = {
                "listId": self.list_id,
                "subscribers": [{"email": r.identifiers["email"]} for r in group],
                "updateExistingUsersOnly": True,
            }
            failures.update(
                self._failures(
                    group, self._call("POST", "/api/lists/subscribe", "lists", json_body=body)
                )
            )
        return failures

    def remove(self, records: list[Record]) -> RowFailures:
        """Leave the list; withdrawn consent also unsubscribes the list's email channel."""
        failures: RowFailures = {}
        for withdrawn in (False, True):
            group = [r for r in records if (r.reason == "consent_withdrawn") == withdrawn]
            if not group:
                continue
            body = {
                "listId": self.list_id,
                "subscribers": [{"email": r.identifiers["email"]} for r in group],
                "channelUnsubscribe": withdrawn,
            }
            failures.update(
                self._failures(
                    group, self._call("POST", "/api/lists/unsubscribe", "lists", json_body=body)
                )
            )
        return failures
