"""Mailchimp Marketing API: batch subscribe to an audience, a static segment (tag) as target.

Members are upserted with `POST /lists/{list_id}` (500 per call, `update_existing`), merge
fields are created when missing, and segment membership is managed with
`POST /lists/{list_id}/segments/{segment_id}` (500 adds/removes per call). Mirror removals only
leave the segment; nobody is unsubscribed or archived. Members Mailchimp holds as unsubscribed
or cleaned are read back first and skipped, since batch subscribe would resubscribe them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures, chunks
from activation.ratelimit import RateLimit

BLOCKED_STATUSES = ("unsubscribed", "cleaned")


class MailchimpOptions(BaseModel):
    """Options of a Mailchimp sync: the audience (list) id; `target` names the tag/segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_id: str = Field(min_length=1)


class MailchimpDestination(HttpDestination):
    """Mailchimp audience + static segment (tag)."""

    name = "mailchimp"
    Options = MailchimpOptions
    channels = frozenset({"email"})
    identifier_keys = frozenset({"email_address"})
    channel_identifier: ClassVar[dict[str, str]] = {"email": "email_address"}
    upsert_batch_size = 500
    remove_batch_size = 500
    page_size = 1000
    default_base_url = "https://us1.api.mailchimp.com/3.0"
    # Mailchimp documents 10 simultaneous connections per account, no per-second quota.
    limits: ClassVar[dict[str, RateLimit]] = {"api": RateLimit(10.0, 10)}

    segment_id: int | None = None

    def base_url_for(self, api_key: str) -> str:
        dc = api_key.rsplit("-", 1)[-1] if "-" in api_key else "us1"
        return f"https://{dc}.api.mailchimp.com/3.0"

    def auth_headers(self, api_key: str) -> dict[str, str]:
        import base64

        token = base64.b64encode(f"retention:{api_key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @classmethod
    def check_sync(cls, sync) -> list[tuple[str, str]]:
        problems = super().check_sync(sync)
        bad = [k for k in sync.fields if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", k)]
        if bad:
            problems.append(("fields", f"merge tags of 1-10 upper-case letters/digits, not {bad}"))
        return problems

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        response = self.client.request(method, path, limit="api", **kwargs)
        return response.json() if response.content else {}

    @property
    def _list(self) -> str:
        return f"/lists/{self.options.list_id}"

    def prepare(self) -> None:
        segments = self._call(
            "GET", f"{self._list}/segments", params={"type": "static", "count": 1000}
        ).get("segments", [])
        match = [s for s in segments if s["name"] == self.sync.target]
        if match:
            self.segment_id = match[0]["id"]
        else:
            created = self._call(
                "POST",
                f"{self._list}/segments",
                json_body={"name": self.sync.target, "static_segment": []},
            )
            self.segment_id = created["id"]
        existing = {
            f["tag"]
            for f in self._call("GET", f"{self._list}/merge-fields", params={"count": 1000}).get(
                "merge_fields", []
            )
        }
        for tag in sorted(set(self.sync.fields) - existing):
            self._call(
                "POST",
                f"{self._list}/merge-fields",
                json_body={"tag": tag, "name": tag.title(), "type": "text"},
            )

    def blocked(self, records: list[Record]) -> dict[str, str]:
        status: dict[str, str] = {}
        for member_status in BLOCKED_STATUSES:
            offset = 0
            while True:
                page = self._call(
                    "GET",
                    f"{self._list}/members",
                    params={
                        "status": member_status,
                        "count": self.page_size,
                        "offset": offset,
                        "fields": "members.email_address,members.status,total_items",
                    },
                )
                for member in page.get("members", []):
                    status[member["email_address"].lower()] = member["status"]
                offset += self.page_size
                if offset >= page.get("total_items", 0):
                    break
        return {
            r.key: status[email]
            for r in records
            if (email := str(r.identifiers["email_address"]).lower()) in status
        }

    def upsert(self, records: list[Record]) -> RowFailures:
        members = [
            {
                "email_address": r.identifiers["email_address"],
                "status": "subscribed",
                "merge_fields": {k: "" if v is None else str(v) for k, v in r.fields.items()},
            }
            for r in records
        ]
        result = self._call(
            "POST", self._list, json_body={"members": members, "update_existing": True}
        )
        by_email = {str(r.identifiers["email_address"]).lower(): r.key for r in records}
        failures = {
            by_email[e["email_address"].lower()]: f"{e.get('error_code', '')}: {e['error']}"
            for e in result.get("errors", [])
            if e.get("email_address", "").lower() in by_email
        }
        adds = [
            r.identifiers["email_address"]
            for r in records
            if r.op == "add" and r.key not in failures
        ]
        failures.update(self._segment(adds, "members_to_add", by_email))
        return failures

    def _segment(self, emails: list[str], action: str, by_email: dict) -> RowFailures:
        failures: RowFailures = {}
        for group in chunks(emails, self.remove_batch_size):
            result = self._call(
                "POST", f"{self._list}/segments/{self.segment_id}", json_body={action: group}
            )
            for error in result.get("errors", []):
                for email in error.get("email_addresses", []):
                    if email.lower() in by_email:
                        failures[by_email[email.lower()]] = error["error"]
        return failures

    def remove(self, records: list[Record]) -> RowFailures:
        by_email = {str(r.identifiers["email_address"]).lower(): r.key for r in records}
        emails = [r.identifiers["email_address"] for r in records]
        return self._segment(emails, "members_to_remove", by_email)
