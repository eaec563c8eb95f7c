"""Mailchimp Marketing API: batch subscribe to an audience, a static segment (tag) as target.

New members are created with `POST /lists/{list_id}` (500 per call, without
`update_existing`, so no existing member's status changes); existing members are updated with
`PUT /lists/{list_id}/members/{hash}` and `status_if_new`, which never touches their status.
Merge fields are created when missing, and segment membership is managed with
`POST /lists/{list_id}/segments/{segment_id}` (500 adds/removes per call). Mirror removals
leave the segment; members whose consent was withdrawn in the warehouse are also unsubscribed.
Consent is read back by what changed: the first read takes every unsubscribed and cleaned
member, later ones the members changed since the previous read (`since_last_changed`, ISO 8601
to the second as documented, with slack for clock skew); before every batch again, so members
who left meanwhile are skipped.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures, chunks
from activation.errors import RequestRejectedError
from activation.ratelimit import RateLimit

BLOCKED_STATUSES = ("unsubscribed", "cleaned")
CLOCK_SLACK = timedelta(minutes=1)


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
    unsubscribe_channels = frozenset({"email"})
    request_concurrency = 10  # Mailchimp allows 10 simultaneous connections
    default_base_url = "https://us1.api.mailchimp.com/3.0"
    # Mailchimp documents 10 simultaneous connections per account, no per-second quota.
    limits: ClassVar[dict[str, RateLimit]] = {"api": RateLimit.connections(10)}

    segment_id: int | None = None
    _read_at: datetime | None = None  # when the last consent read started

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
        return self.client.request_json(method, path, limit="api", **kwargs)

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

    @property
    def consent_scope(self) -> str:
        return f"{super().consent_scope}/lists/{self.options.list_id}"

    def consent_changes(self, since: datetime | None) -> dict[str, str]:
        """Every unsubscribed/cleaned member (`since=None`), else every member changed since."""
        read_at = datetime.now(UTC)
        changed: dict[str, str] = {}
        if since is None:
            for member_status in BLOCKED_STATUSES:
                changed.update(self._scan({"status": member_status}))
        else:
            stamp = since.astimezone(UTC).replace(microsecond=0).isoformat()
            changed.update(self._scan({"since_last_changed": stamp}))
        self._read_at = read_at
        return changed

    def blocked(self, records: list[Record]) -> dict[str, str]:
        """Members held as unsubscribed/cleaned, re-read (changes since the last read) first."""
        since = self._read_at - CLOCK_SLACK if self._read_at else None
        self.consent.update(self.consent_changes(since))
        found = {}
        for r in records:
            status = self.consent.get(self._email(r))
            if status:
                self.observed[r.key] = status
            if status in BLOCKED_STATUSES:
                found[r.key] = status
        return found

    def _scan(self, params: dict[str, str]) -> dict[str, str]:
        statuses: dict[str, str] = {}
        offset = 0
        while True:
            page = self._call(
                "GET",
                f"{self._list}/members",
                params={
                    **params,
                    "count": self.page_size,
                    "offset": offset,
                    "fields": "members.email_address,members.status,total_items",
                },
            )
            for member in page.get("members", []):
                statuses[member["email_address"].strip().lower()] = member["status"]
            offset += self.page_size
            if offset >= page.get("total_items", 0):
                return statuses

    def members(self) -> set[str]:
        """Lower-cased emails in the static segment (the sync's target)."""
        found: set[str] = set()
        offset = 0
        while True:
            page = self._call(
                "GET",
                f"{self._list}/segments/{self.segment_id}/members",
                params={"count": self.page_size, "offset": offset},
            )
            found.update(m["email_address"].strip().lower() for m in page.get("members", []))
            offset += self.page_size
            if offset >= page.get("total_items", 0):
                return found

    @staticmethod
    def _email(record: Record) -> str:
        return str(record.identifiers["email_address"]).lower()

    @staticmethod
    def _merge_fields(record: Record) -> dict[str, str]:
        return {k: "" if v is None else str(v) for k, v in record.fields.items()}

    def upsert(self, records: list[Record]) -> RowFailures:
        """New members are created subscribed; existing ones keep their status.

        Adds go through batch subscribe without `update_existing`, which only creates members;
        members that already exist (or were updated since the last run) are written one by one
        with `PUT .../members/{hash}` and `status_if_new`, which never changes an existing
        member's status. The status Mailchimp answers is kept in `observed`; unsubscribed or
        cleaned members are not added to the segment.
        """
        by_email = {self._email(r): r for r in records}
        adds = [r for r in records if r.op == "add"]
        failures: RowFailures = {}
        existing = [r for r in records if r.op != "add"]
        if adds:
            result = self._call(
                "POST",
                self._list,
                json_body={
                    "members": [
                        {
                            "email_address": r.identifiers["email_address"],
                            "status": "subscribed",
                            "merge_fields": self._merge_fields(r),
                        }
                        for r in adds
                    ],
                    "update_existing": False,
                },
            )
            for member in result.get("new_members", []):
                if (record := by_email.get(member["email_address"].lower())) is not None:
                    self.observed[record.key] = member["status"]
            for error in result.get("errors", []):
                record = by_email.get(error.get("email_address", "").lower())
                if record is None:
                    continue
                if error.get("error_code") == "ERROR_CONTACT_EXISTS":
                    existing.append(record)
                else:
                    failures[record.key] = f"{error.get('error_code', '')}: {error['error']}"
        self.fan_out(lambda r: self._put(r, failures), existing)
        segment_adds = [
            r.identifiers["email_address"]
            for r in adds
            if r.key not in failures and self.observed.get(r.key) not in BLOCKED_STATUSES
        ]
        failures.update(
            self._segment(segment_adds, "members_to_add", {e: r.key for e, r in by_email.items()})
        )
        return failures

    def _put(self, record: Record, failures: RowFailures) -> None:
        email = str(record.identifiers["email_address"])
        try:
            member = self._call(
                "PUT",
                f"{self._list}/members/{hashlib.md5(email.lower().encode()).hexdigest()}",
                json_body={
                    "email_address": email,
                    "status_if_new": "subscribed",
                    "merge_fields": self._merge_fields(record),
                },
            )
        except RequestRejectedError as exc:
            failures[record.key] = exc.body or str(exc)
            return
        self.observed[record.key] = member.get("status", "")

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
        """Leave the segment; members whose consent was withdrawn are also unsubscribed."""
        by_email = {self._email(r): r.key for r in records}
        failures: RowFailures = {}
        withdrawn = [r for r in records if r.reason == "consent_withdrawn"]
        for group in chunks(withdrawn, self.upsert_batch_size):
            result = self._call(
                "POST",
                self._list,
                json_body={
                    "members": [
                        {"email_address": r.identifiers["email_address"], "status": "unsubscribed"}
                        for r in group
                    ],
                    "update_existing": True,
                },
            )
            for error in result.get("errors", []):
                key = by_email.get(error.get("email_address", "").lower())
                if key is not None:
                    failures[key] = f"{error.get('error_code', '')}: {error['error']}"
        emails = [r.identifiers["email_address"] for r in records]
        failures.update(self._segment(emails, "members_to_remove", by_email))
        return failures
