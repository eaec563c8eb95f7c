"""Mailchimp emulator: audiences with member status, merge fields and static segments (tags).

Batch subscribe accepts at most 500 members and reports invalid emails per row; like the real
API it resubscribes an unsubscribed member when asked to (`update_existing` with a status), so
clients must never send a status for existing members. `PUT /lists/{id}/members/{hash}` is the
non-overriding upsert: `status_if_new` applies only when the member is created, `status` (if
given) overwrites. Every member carries `last_changed` (ISO 8601 to the second, as documented:
`2015-10-21T15:41:36+00:00`), filterable with `since_last_changed` in that format (anything else,
e.g. fractional seconds, is a 400 here). Segment member reads omit unsubscribed, cleaned and
transactional members unless `include_unsubscribed` / `include_cleaned` /
`include_transactional` is true. `unsubscribe()` is a person clicking unsubscribe.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.routing import Route

from activation.emulators.common import EMAIL_OK, Call, VendorEmulator, reject
from activation.ratelimit import RateLimit

MAX_BATCH = 500
DEFAULT_LIST_ID = "a1b2c3d4e5"
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")
HIDDEN_IN_SEGMENTS = {
    "unsubscribed": "include_unsubscribed",
    "cleaned": "include_cleaned",
    "transactional": "include_transactional",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased email."""
    return hashlib.md5(email.lower().encode()).hexdigest()


class MailchimpEmulator(VendorEmulator):
    """In-memory Mailchimp account with one audience, `DEFAULT_LIST_ID`, to start with."""

    vendor = "mailchimp"
    prefix = "/mailchimp/3.0"
    limits: ClassVar[dict[str, RateLimit]] = {"api": RateLimit.connections(10)}

    persistent = ("lists",)

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.lists: dict[str, dict] = {}
        self.add_list(DEFAULT_LIST_ID)

    def add_list(self, list_id: str) -> None:
        """Create an empty audience."""
        with self.lock:
            self.lists[list_id] = {
                "members": {},
                "segments": {},
                "merge_fields": {"FNAME", "LNAME"},
            }

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            _, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        return password == self.api_key

    def error(self, status: int, message: str) -> Any:
        titles = {
            400: "Invalid Resource",
            401: "API Key Invalid",
            404: "Resource Not Found",
            429: "Too Many Requests",
            503: "Service Unavailable",
        }
        return {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": titles.get(status, "Error"),
            "status": status,
            "detail": message,
            "instance": str(uuid.uuid4()),
        }

    def routes(self) -> list[Route]:
        r = self.route
        return [
            r("/lists/{list_id}", "POST", "api", self._batch),
            r("/lists/{list_id}/members", "GET", "api", self._members),
            r("/lists/{list_id}/members/{subscriber_hash}", "PUT", "api", self._put_member),
            r("/lists/{list_id}/merge-fields", "GET", "api", self._merge_fields),
            r("/lists/{list_id}/merge-fields", "POST", "api", self._add_merge_field),
            r("/lists/{list_id}/segments", "GET", "api", self._segments),
            r("/lists/{list_id}/segments", "POST", "api", self._add_segment),
            r("/lists/{list_id}/segments/{segment_id}", "POST", "api", self._segment_members),
            r(
                "/lists/{list_id}/segments/{segment_id}/members",
                "GET",
                "api",
                self._get_segment_members,
            ),
        ]

    # --- test helpers --------------------------------------------------------------------
    def set_status(self, email: str, status: str, list_id: str = DEFAULT_LIST_ID) -> None:
        """Create or set a member's status (subscribed|unsubscribed|cleaned|pending)."""
        with self.lock:
            members = self.lists[list_id]["members"]
            member = members.setdefault(email.lower(), {"email_address": email, "merge_fields": {}})
            member["status"] = status
            member["last_changed"] = _now()

    def unsubscribe(self, email: str, list_id: str = DEFAULT_LIST_ID) -> None:
        """A member clicks unsubscribe in a campaign: status unsubscribed, `last_changed` now."""
        with self.lock:
            member = self.lists[list_id]["members"][email.lower()]
            member["status"] = "unsubscribed"
            member["last_changed"] = _now()

    def empty(self) -> None:
        """Forget every member and segment member (an emptied or replaced account)."""
        with self.lock:
            for lst in self.lists.values():
                lst["members"].clear()
                for segment in lst["segments"].values():
                    segment["members"].clear()

    def member(self, email: str, list_id: str = DEFAULT_LIST_ID) -> dict | None:
        """A member by email."""
        with self.lock:
            return self.lists[list_id]["members"].get(email.lower())

    def segment_members(self, name: str, list_id: str = DEFAULT_LIST_ID) -> set[str]:
        """Emails in static segment `name`."""
        with self.lock:
            for segment in self.lists[list_id]["segments"].values():
                if segment["name"] == name:
                    return set(segment["members"])
            return set()

    # --- handlers ------------------------------------------------------------------------
    def _list(self, call: Call) -> dict:
        lst = self.lists.get(call.params["list_id"])
        if lst is None:
            raise reject(404, "The requested resource could not be found.")
        return lst

    def _batch(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        body = call.request.body or {}
        members = body.get("members")
        if not isinstance(members, list):
            raise reject(400, "Schema describes array, object found instead: members")
        if len(members) > MAX_BATCH:
            raise reject(400, f"You may only send up to {MAX_BATCH} members per request.")
        new, updated, errors = [], [], []
        for item in members:
            email = str(item.get("email_address", ""))
            status = item.get("status")
            if status not in STATUSES:
                errors.append(
                    {
                        "email_address": email,
                        "error": "Invalid status",
                        "error_code": "ERROR_GENERIC",
                    }
                )
                continue
            if not EMAIL_OK.match(email):
                errors.append(
                    {
                        "email_address": email,
                        "error_code": "ERROR_GENERIC",
                        "error": f"{email} looks fake or invalid, please enter a real "
                        "email address.",
                    }
                )
                continue
            unknown = set(item.get("merge_fields") or {}) - lst["merge_fields"]
            if unknown:
                errors.append(
                    {
                        "email_address": email,
                        "error_code": "ERROR_GENERIC",
                        "error": f"Your merge fields were invalid: {sorted(unknown)}",
                    }
                )
                continue
            existing = lst["members"].get(email.lower())
            if existing and existing["status"] == "cleaned":
                errors.append(
                    {
                        "email_address": email,
                        "error_code": "ERROR_CONTACT_EXISTS",
                        "error": f"{email} was permanently deleted or cleaned and "
                        "cannot be re-imported.",
                    }
                )
                continue
            if existing and not body.get("update_existing"):
                errors.append(
                    {
                        "email_address": email,
                        "error_code": "ERROR_CONTACT_EXISTS",
                        "error": f"{email} is already a list member.",
                    }
                )
                continue
            member = existing or {"email_address": email, "merge_fields": {}}
            member["status"] = status
            member["merge_fields"].update(item.get("merge_fields") or {})
            member["last_changed"] = _now()
            lst["members"][email.lower()] = member
            (updated if existing else new).append({"email_address": email, "status": status})
        return 200, {
            "new_members": new,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(new),
            "total_updated": len(updated),
            "error_count": len(errors),
        }

    def _members(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        query = call.request.query
        count = int(query.get("count", "10"))
        if count > 1000:
            raise reject(400, "count must be at most 1000")
        offset = int(query.get("offset", "0"))
        since = query.get("since_last_changed")
        if since and not ISO_SECONDS.fullmatch(since):
            raise reject(
                400,
                f"since_last_changed '{since}' is not in ISO 8601 format "
                "(2015-10-21T15:41:36+00:00)",
            )
        members = [
            self._member_resource(m)
            for m in lst["members"].values()
            if (not query.get("status") or m["status"] == query["status"])
            and (not since or _after(m.get("last_changed", ""), since))
        ]
        return 200, {"members": members[offset : offset + count], "total_items": len(members)}

    @staticmethod
    def _member_resource(member: dict) -> dict:
        return {
            "email_address": member["email_address"],
            "status": member["status"],
            "id": subscriber_hash(member["email_address"]),
            "merge_fields": dict(member["merge_fields"]),
            "last_changed": member.get("last_changed"),
        }

    def _put_member(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        body = call.request.body or {}
        email = str(body.get("email_address", ""))
        if subscriber_hash(email) != call.params["subscriber_hash"].lower():
            raise reject(400, "The email address does not match the subscriber hash.")
        if body.get("status_if_new") not in STATUSES:
            raise reject(400, "Schema describes enum, status_if_new is required.")
        if "status" in body and body["status"] not in STATUSES:
            raise reject(400, "Schema describes enum, invalid status.")
        if not EMAIL_OK.match(email):
            raise reject(400, f"{email} looks fake or invalid, please enter a real email address.")
        unknown = set(body.get("merge_fields") or {}) - lst["merge_fields"]
        if unknown:
            raise reject(400, f"Your merge fields were invalid: {sorted(unknown)}")
        member = lst["members"].get(email.lower())
        if member is None:
            member = {"email_address": email, "merge_fields": {}, "status": body["status_if_new"]}
            lst["members"][email.lower()] = member
        elif "status" in body:
            member["status"] = body["status"]
        member["merge_fields"].update(body.get("merge_fields") or {})
        member["last_changed"] = _now()
        return 200, self._member_resource(member)

    def _get_segment_members(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        segment = lst["segments"].get(int(call.params["segment_id"]))
        if segment is None:
            raise reject(404, "The requested resource could not be found.")
        count = int(call.request.query.get("count", "10"))
        if count > 1000:
            raise reject(400, "count must be at most 1000")
        offset = int(call.request.query.get("offset", "0"))
        shown = [
            lst["members"][e.lower()]
            for e in sorted(segment["members"])
            if e.lower() in lst["members"]
            and self._shown(lst["members"][e.lower()], call.request.query)
        ]
        members = [self._member_resource(m) for m in shown[offset : offset + count]]
        return 200, {"members": members, "total_items": len(shown)}

    @staticmethod
    def _shown(member: dict, query: dict[str, str]) -> bool:
        """Whether a segment member read lists `member` (some statuses only when asked for)."""
        flag = HIDDEN_IN_SEGMENTS.get(member["status"])
        return flag is None or query.get(flag, "false").lower() == "true"

    def _merge_fields(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        fields = [
            {"tag": t, "name": t.title(), "type": "text"} for t in sorted(lst["merge_fields"])
        ]
        return 200, {"merge_fields": fields, "total_items": len(fields)}

    def _add_merge_field(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        tag = (call.request.body or {}).get("tag", "")
        if not tag or len(tag) > 10 or not tag.isupper():
            raise reject(400, "tag must be 1-10 upper-case characters")
        lst["merge_fields"].add(tag)
        return 200, {"tag": tag, "name": (call.request.body or {}).get("name"), "type": "text"}

    def _segments(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        segments = [
            {"id": sid, "name": s["name"], "member_count": len(s["members"]), "type": "static"}
            for sid, s in lst["segments"].items()
        ]
        return 200, {"segments": segments, "total_items": len(segments)}

    def _add_segment(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        name = (call.request.body or {}).get("name")
        if not name or "static_segment" not in (call.request.body or {}):
            raise reject(400, "name and static_segment are required")
        sid = len(lst["segments"]) + 1001
        lst["segments"][sid] = {"name": name, "members": set()}
        return 200, {"id": sid, "name": name, "member_count": 0, "type": "static"}

    def _segment_members(self, call: Call) -> tuple[int, Any]:
        lst = self._list(call)
        segment = lst["segments"].get(int(call.params["segment_id"]))
        if segment is None:
            raise reject(404, "The requested resource could not be found.")
        body = call.request.body or {}
        to_add, to_remove = body.get("members_to_add", []), body.get("members_to_remove", [])
        if len(to_add) > MAX_BATCH or len(to_remove) > MAX_BATCH:
            raise reject(400, f"You may only add or remove up to {MAX_BATCH} members at a time.")
        added, removed, missing = [], [], []
        for email in to_add:
            if email.lower() not in lst["members"]:
                missing.append(email)
                continue
            segment["members"].add(lst["members"][email.lower()]["email_address"])
            added.append({"email_address": email})
        for email in to_remove:
            member = lst["members"].get(email.lower())
            if member and member["email_address"] in segment["members"]:
                segment["members"].discard(member["email_address"])
                removed.append({"email_address": email})
        errors = [{"email_addresses": missing, "error": "Email addresses are not list members"}]
        return 200, {
            "members_added": added,
            "members_removed": removed,
            "errors": errors if missing else [],
            "total_added": len(added),
            "total_removed": len(removed),
            "error_count": len(missing),
        }


def _after(changed: str, since: str) -> bool:
    """Whether ISO timestamp `changed` is after `since` (both parsed; naive means UTC)."""
    if not changed:
        return False

    def parse(text: str) -> datetime:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    return parse(changed) > parse(since)
