"""Klaviyo emulator: lists, profiles with email/SMS subscriptions and suppressions, bulk import
jobs (asynchronous, polled, per-row import errors), bulk subscribe/unsubscribe, list
relationships. Limits as documented (10k profiles / 5 MB per import, 1000 per subscribe,
100 per unsubscribe, 1000 per relationship call, page size <= 100). `GET /api/profiles` and
`GET /api/lists/{id}/profiles` take the documented filters (`klaviyo_filter`), sorts and cursor
pages; every profile carries `updated`, bumped by any change, consent changes included.
`unsubscribe()` is what happens when a person clicks an email's unsubscribe link."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.routing import Route

from activation.emulators import klaviyo_filter
from activation.emulators.common import EMAIL_OK, Call, VendorEmulator, reject
from activation.ratelimit import RateLimit

MAX_IMPORT = 10_000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_SUBSCRIBE = 1_000
MAX_UNSUBSCRIBE = 100
MAX_RELATIONSHIPS = 1_000
MISSING = object()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _per_minute(n: int) -> float:
    return n / 60.0


SUPPRESSION = "subscriptions.email.marketing.suppression"
LIST_SUPPRESSIONS = "subscriptions.email.marketing.list_suppressions"
TIMES = {"greater-than", "greater-or-equal", "less-than", "less-or-equal"}
# documented filter fields/operators of GET /api/profiles and GET /api/lists/{id}/profiles
PROFILE_FILTERS = {
    "id": {"any", "equals"},
    "email": {"any", "equals"},
    "phone_number": {"any", "equals"},
    "external_id": {"any", "equals"},
    "created": {"greater-than", "less-than"},
    "updated": {"greater-than", "less-than"},
    f"{LIST_SUPPRESSIONS}.reason": {"equals"},
    f"{LIST_SUPPRESSIONS}.timestamp": TIMES,
    f"{LIST_SUPPRESSIONS}.list_id": {"equals"},
    f"{SUPPRESSION}.reason": {"equals"},
    f"{SUPPRESSION}.timestamp": TIMES,
}
LIST_PROFILE_FILTERS = {
    "email": {"any", "equals"},
    "phone_number": {"any", "equals"},
    "joined_group_at": TIMES,
}
PROFILE_SORTS = {"id", "created", "updated", "email", f"{SUPPRESSION}.timestamp"}


class KlaviyoEmulator(VendorEmulator):
    """In-memory Klaviyo account."""

    vendor = "klaviyo"
    prefix = "/klaviyo"
    media_type = "application/vnd.api+json"
    limits: ClassVar[dict[str, RateLimit]] = {
        "bulk_import": RateLimit(_per_minute(150), 10),
        "bulk_import_get": RateLimit(_per_minute(150), 10),
        "subscribe": RateLimit(_per_minute(750), 75),
        "unsubscribe": RateLimit(_per_minute(750), 75),
        "list_relationships": RateLimit(_per_minute(150), 10),
        "lists_read": RateLimit(_per_minute(750), 75),
        "lists_create": RateLimit(_per_minute(150), 10),
        "profiles_read": RateLimit(_per_minute(750), 75),
        "list_profiles": RateLimit(_per_minute(750), 75),
    }

    persistent = ("profiles", "lists")  # the email/phone indexes are rebuilt from profiles

    def __init__(self, faults, api_key: str, job_seconds: float = 0.05) -> None:
        super().__init__(faults, api_key)
        self.job_seconds = job_seconds
        self.profiles: dict[str, dict] = {}
        self.lists: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self._by_email: dict[str, dict] = {}
        self._by_phone: dict[str, dict] = {}

    def restore_account(self, saved: dict[str, Any]) -> None:
        """Put back the saved profiles and lists, and index the profiles by email and phone."""
        with self.lock:
            super().restore_account(saved)
            self._by_email = {p["email"].lower(): p for p in self.profiles.values() if p["email"]}
            self._by_phone = {
                p["phone_number"]: p for p in self.profiles.values() if p["phone_number"]
            }

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Klaviyo-API-Key {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        code = {401: "not_authenticated", 429: "throttled", 503: "service_unavailable"}
        return {
            "errors": [
                {
                    "id": uuid.uuid4().hex,
                    "status": status,
                    "code": code.get(status, "invalid"),
                    "title": "Invalid input." if status == 400 else message,
                    "detail": message,
                    "source": {"pointer": "/data/"},
                }
            ]
        }

    def routes(self) -> list[Route]:
        r = self.route
        return [
            r("/api/lists", "GET", "lists_read", self._get_lists),
            r("/api/lists", "POST", "lists_create", self._create_list),
            r("/api/profiles", "GET", "profiles_read", self._get_profiles),
            r("/api/lists/{list_id}/profiles", "GET", "list_profiles", self._get_list_profiles),
            r("/api/profile-bulk-import-jobs", "POST", "bulk_import", self._create_import),
            r("/api/profile-bulk-import-jobs/{job_id}", "GET", "bulk_import_get", self._get_job),
            r(
                "/api/profile-bulk-import-jobs/{job_id}/import-errors",
                "GET",
                "bulk_import_get",
                self._get_import_errors,
            ),
            r("/api/profile-subscription-bulk-create-jobs", "POST", "subscribe", self._subscribe),
            r(
                "/api/profile-subscription-bulk-delete-jobs",
                "POST",
                "unsubscribe",
                self._unsubscribe,
            ),
            r(
                "/api/lists/{list_id}/relationships/profiles",
                "POST",
                "list_relationships",
                self._add_relationships,
            ),
            r(
                "/api/lists/{list_id}/relationships/profiles",
                "DELETE",
                "list_relationships",
                self._remove_relationships,
            ),
        ]

    # --- state helpers (also used by tests) -----------------------------------------------
    def _upsert_profile(self, attributes: dict) -> dict:
        email = attributes.get("email")
        phone = attributes.get("phone_number")
        profile = self._by_email.get((email or "").lower()) if email else None
        if profile is None and phone:
            profile = self._by_phone.get(phone)
        if profile is None:
            profile = {
                "id": uuid.uuid4().hex[:26].upper(),
                "email": None,
                "phone_number": None,
                "external_id": None,
                "properties": {},
                "attributes": {},
                "email_consent": "NEVER_SUBSCRIBED",
                "suppression": None,
                "list_suppressions": [],
                "sms_consent": "NEVER_SUBSCRIBED",
                "created": _now(),
                "updated": _now(),
            }
            self.profiles[profile["id"]] = profile
        changed = False
        for key in ("email", "phone_number", "external_id"):
            if attributes.get(key) and profile[key] != attributes[key]:
                profile[key], changed = attributes[key], True
        for key, value in attributes.items():
            if key not in ("email", "phone_number", "external_id", "properties"):
                changed |= profile["attributes"].get(key, MISSING) != value
                profile["attributes"][key] = value
        for key, value in (attributes.get("properties") or {}).items():
            changed |= profile["properties"].get(key, MISSING) != value
            profile["properties"][key] = value
        if profile["email"]:
            self._by_email[profile["email"].lower()] = profile
        if profile["phone_number"]:
            self._by_phone[profile["phone_number"]] = profile
        if changed:
            profile["updated"] = _now()
        return profile

    def seed_profile(
        self,
        email: str | None = None,
        *,
        phone_number: str | None = None,
        email_suppressed: str | None = None,
        sms_unsubscribed: bool = False,
    ) -> dict:
        """Create a profile; `email_suppressed` is a reason such as "UNSUBSCRIBE"."""
        with self.lock:
            profile = self._upsert_profile({"email": email, "phone_number": phone_number})
            if email_suppressed:
                profile["email_consent"] = "UNSUBSCRIBED"
                profile["suppression"] = {"reason": email_suppressed, "timestamp": _now()}
            if sms_unsubscribed:
                profile["sms_consent"] = "UNSUBSCRIBED"
            if email_suppressed or sms_unsubscribed:
                profile["updated"] = _now()
            return profile

    def subscribe(self, email: str) -> dict:
        """A person signs up for email marketing at Klaviyo (a form, not this sync)."""
        with self.lock:
            profile = self._upsert_profile({"email": email})
            profile["email_consent"] = "SUBSCRIBED"
            profile["updated"] = _now()
            return profile

    def unsubscribe(self, email: str | None = None, *, phone_number: str | None = None) -> None:
        """What Klaviyo does when the person clicks unsubscribe (email) or texts STOP (SMS).

        Email: consent UNSUBSCRIBED and an account-wide UNSUBSCRIBE suppression; the profile
        stays on its lists. SMS: consent UNSUBSCRIBED. Either way `updated` moves.
        """
        with self.lock:
            if email:
                profile = self._by_email[email.lower()]
                profile["email_consent"] = "UNSUBSCRIBED"
                profile["suppression"] = {"reason": "UNSUBSCRIBE", "timestamp": _now()}
            else:
                profile = self._by_phone[str(phone_number)]
                profile["sms_consent"] = "UNSUBSCRIBED"
            profile["updated"] = _now()

    def lists_named(self, name: str) -> int:
        """How many lists are called `name`."""
        with self.lock:
            return sum(1 for lst in self.lists.values() if lst["name"] == name)

    def empty(self) -> None:
        """Forget every profile, list and job (an emptied or replaced account)."""
        with self.lock:
            for store in (self.profiles, self.lists, self.jobs, self._by_email, self._by_phone):
                store.clear()

    def list_members(self, name: str) -> set[str]:
        """Emails (or phone numbers when no email) of the members of list `name`."""
        with self.lock:
            for lst in self.lists.values():
                if lst["name"] == name:
                    return {
                        self.profiles[pid]["email"] or self.profiles[pid]["phone_number"]
                        for pid in lst["members"]
                    }
            return set()

    def profile(self, email: str) -> dict | None:
        """The profile with `email`, if any."""
        with self.lock:
            return self._by_email.get(email.lower())

    # --- handlers ------------------------------------------------------------------------
    def _list_resource(self, lst: dict) -> dict:
        return {
            "type": "list",
            "id": lst["id"],
            "attributes": {
                "name": lst["name"],
                "created": lst["created"],
                "updated": lst["created"],
            },
            "links": {"self": f"/api/lists/{lst['id']}/"},
        }

    def _get_lists(self, call: Call) -> tuple[int, Any]:
        flt = call.request.query.get("filter", "")
        lists = list(self.lists.values())
        if flt:
            match = re.fullmatch(r'equals\(name,"(.*)"\)', flt)
            if not match:
                raise reject(400, f"Invalid filter: {flt}")
            lists = [lst for lst in lists if lst["name"] == match.group(1).replace('\\"', '"')]
        return 200, {"data": [self._list_resource(lst) for lst in lists[:10]], "links": {}}

    def _create_list(self, call: Call) -> tuple[int, Any]:
        body = call.request.body or {}
        data = body.get("data") or {}
        name = (data.get("attributes") or {}).get("name")
        if data.get("type") != "list" or not name:
            raise reject(400, "data.type must be 'list' and attributes.name is required")
        lst = {"id": uuid.uuid4().hex[:6], "name": name, "members": set(), "created": _now()}
        self.lists[lst["id"]] = lst
        return 201, {"data": self._list_resource(lst)}

    def _profile_resource(self, p: dict, with_subscriptions: bool) -> dict:
        attributes = {
            "email": p["email"],
            "phone_number": p["phone_number"],
            "external_id": p["external_id"],
            "properties": p["properties"],
            "created": p["created"],
            "updated": p["updated"],
            **p["attributes"],
        }
        if with_subscriptions:
            attributes["subscriptions"] = {
                "email": {
                    "marketing": {
                        "can_receive_email_marketing": p["suppression"] is None
                        and p["email_consent"] == "SUBSCRIBED",
                        "consent": p["email_consent"],
                        "suppression": [p["suppression"]] if p["suppression"] else [],
                        "list_suppressions": p["list_suppressions"],
                    }
                },
                "sms": {
                    "marketing": {
                        "can_receive_sms_marketing": p["sms_consent"] == "SUBSCRIBED",
                        "consent": p["sms_consent"],
                    }
                },
            }
        return {"type": "profile", "id": p["id"], "attributes": attributes, "links": {}}

    @staticmethod
    def _field_values(profile: dict, field: str) -> list[Any]:
        """A profile's values of filter/sort `field` (datetimes parsed)."""
        when = klaviyo_filter.parse_datetime
        if field in ("id", "email", "phone_number", "external_id"):
            return [profile[field]]
        if field in ("created", "updated"):
            return [when(profile[field])]
        if field.startswith(SUPPRESSION):
            suppression = profile["suppression"]
            if not suppression:
                return []
            value = suppression[field.rsplit(".", 1)[1]]
            return [when(value) if field.endswith("timestamp") else value]
        attribute = field.rsplit(".", 1)[1]
        values = [s[attribute] for s in profile["list_suppressions"]]
        return [when(v) for v in values] if attribute == "timestamp" else values

    def _matches(self, flt: str, allowed: dict) -> list[dict]:
        """Profiles of the account matching filter `flt` (fields and operators in `allowed`)."""
        conditions = []
        if flt:
            try:
                conditions = klaviyo_filter.parse(flt, allowed)
            except klaviyo_filter.FilterError as exc:
                raise reject(400, str(exc)) from None
        found = self._candidates(conditions)
        if found is None:
            found = list(self.profiles.values())
        test = klaviyo_filter.predicate(conditions)
        return [p for p in found if test(lambda f, p=p: self._field_values(p, f))]

    def _candidates(self, conditions: list) -> list[dict] | None:
        """Profiles of the account a condition narrows to by an index; None: no index applies.

        Only a shortcut: every condition is still tested on each candidate.
        """
        for c in conditions:
            values = c.value if c.operator == "any" else [c.value]
            if c.operator in ("any", "equals") and c.field in ("email", "phone_number", "id"):
                index = {"email": self._by_email, "phone_number": self._by_phone}.get(
                    c.field, self.profiles
                )
                keys = {str(v).lower() if c.field == "email" else v for v in values}
                return [index[k] for k in keys if k in index]
        for c in conditions:
            if c.field.startswith(SUPPRESSION):
                return [p for p in self.profiles.values() if p["suppression"]]
            if c.field.startswith(LIST_SUPPRESSIONS):
                return [p for p in self.profiles.values() if p["list_suppressions"]]
        return None

    @staticmethod
    def _page(query: dict[str, str], items: list, url: str) -> tuple[list, dict[str, Any]]:
        """One cursor page of `items` and the JSON:API links (next: the following page)."""
        try:
            size = int(query.get("page[size]", "20"))
            start = int(query.get("page[cursor]", "0") or 0)
        except ValueError:
            raise reject(400, "Invalid page[size] or page[cursor]") from None
        if not 1 <= size <= 100:
            raise reject(400, "page[size] must be between 1 and 100")
        links: dict[str, Any] = {"self": url}
        if start + size < len(items):
            links["next"] = f"https://a.klaviyo.com{url}?page%5Bcursor%5D={start + size}"
        return items[start : start + size], links

    def _get_profiles(self, call: Call) -> tuple[int, Any]:
        query = call.request.query
        found = self._matches(query.get("filter", ""), PROFILE_FILTERS)
        sort = query.get("sort", "id")
        if sort.lstrip("-") not in PROFILE_SORTS:
            raise reject(400, f"Invalid sort: {sort}")
        field = sort.lstrip("-")

        def key(profile: dict) -> tuple:
            value = (self._field_values(profile, field) or [None])[0]
            return (value is None, "" if value is None else value, profile["id"])

        found.sort(key=key, reverse=sort.startswith("-"))
        page, links = self._page(query, found, "/api/profiles/")
        subs = "subscriptions" in query.get("additional-fields[profile]", "")
        return 200, {"data": [self._profile_resource(p, subs) for p in page], "links": links}

    def _get_list_profiles(self, call: Call) -> tuple[int, Any]:
        lst = self.lists.get(call.params["list_id"])
        if lst is None:
            raise reject(404, "List not found.")
        query = call.request.query
        if "joined_group_at" in query.get("filter", ""):
            raise reject(400, "joined_group_at filters are not modelled by the emulator")
        flt = query.get("filter", "")
        if flt:
            found = self._matches(flt, LIST_PROFILE_FILTERS)
            found = sorted((p for p in found if p["id"] in lst["members"]), key=lambda p: p["id"])
        else:
            found = [self.profiles[pid] for pid in sorted(lst["members"]) if pid in self.profiles]
        page, links = self._page(query, found, f"/api/lists/{lst['id']}/profiles/")
        return 200, {"data": [self._profile_resource(p, False) for p in page], "links": links}

    def _create_import(self, call: Call) -> tuple[int, Any]:
        if len(call.request.raw) > MAX_IMPORT_BYTES:
            raise reject(413, "The maximum allowed payload size is 5MB.")
        data = (call.request.body or {}).get("data") or {}
        if data.get("type") != "profile-bulk-import-job":
            raise reject(400, "data.type must be 'profile-bulk-import-job'")
        profiles = (((data.get("attributes") or {}).get("profiles")) or {}).get("data")
        if not isinstance(profiles, list) or not profiles:
            raise reject(400, "attributes.profiles.data must be a non-empty array")
        if len(profiles) > MAX_IMPORT:
            raise reject(400, f"Accepts up to {MAX_IMPORT} profiles per request.")
        list_ids = [
            d["id"] for d in ((data.get("relationships") or {}).get("lists") or {}).get("data", [])
        ]
        for list_id in list_ids:
            if list_id not in self.lists:
                raise reject(404, f"List {list_id} does not exist.")
        errors, done = [], 0
        for index, item in enumerate(profiles):
            attributes = item.get("attributes") or {}
            email, phone = attributes.get("email"), attributes.get("phone_number")
            pointer = f"/data/attributes/profiles/data/{index}"
            if item.get("type") != "profile" or not (
                email or phone or attributes.get("external_id")
            ):
                errors.append((pointer, "Invalid profile", "A profile identifier is required."))
                continue
            if email is not None and not EMAIL_OK.match(email):
                errors.append((pointer, "Invalid email", f"Invalid email address: {email}"))
                continue
            profile = self._upsert_profile(attributes)
            unset = (((item.get("meta") or {}).get("patch_properties")) or {}).get("unset") or []
            for key in [unset] if isinstance(unset, str) else unset:
                profile["properties"].pop(key, None)
            for list_id in list_ids:
                self.lists[list_id]["members"].add(profile["id"])
            done += 1
        job = {
            "id": uuid.uuid4().hex,
            "created": time.monotonic(),
            "created_at": _now(),
            "total_count": len(profiles),
            "completed_count": done,
            "failed_count": len(errors),
            "errors": errors,
        }
        self.jobs[job["id"]] = job
        return 202, {"data": self._job_resource(job), "links": {"self": "/"}}

    def _job_resource(self, job: dict) -> dict:
        finished = time.monotonic() - job["created"] >= self.job_seconds
        return {
            "type": "profile-bulk-import-job",
            "id": job["id"],
            "attributes": {
                "status": "complete" if finished else "processing",
                "created_at": job["created_at"],
                "total_count": job["total_count"],
                "completed_count": job["completed_count"] if finished else 0,
                "failed_count": job["failed_count"] if finished else 0,
                "completed_at": _now() if finished else None,
            },
            "links": {"self": f"/api/profile-bulk-import-jobs/{job['id']}/"},
        }

    def _get_job(self, call: Call) -> tuple[int, Any]:
        job = self.jobs.get(call.params["job_id"])
        if not job:
            raise reject(404, "Job not found.")
        return 200, {"data": self._job_resource(job), "links": {"self": "/"}}

    def _get_import_errors(self, call: Call) -> tuple[int, Any]:
        job = self.jobs.get(call.params["job_id"])
        if not job:
            raise reject(404, "Job not found.")
        data = [
            {
                "type": "import-error",
                "id": f"{job['id']}-{i}",
                "attributes": {
                    "code": "invalid",
                    "title": title,
                    "detail": detail,
                    "source": {"pointer": pointer},
                },
            }
            for i, (pointer, title, detail) in enumerate(job["errors"])
        ]
        return 200, {"data": data, "links": {}}

    def _job_profiles(self, call: Call, job_type: str, limit: int) -> tuple[list, str | None]:
        data = (call.request.body or {}).get("data") or {}
        if data.get("type") != job_type:
            raise reject(400, f"data.type must be '{job_type}'")
        profiles = ((data.get("attributes") or {}).get("profiles") or {}).get("data")
        if not isinstance(profiles, list) or not profiles:
            raise reject(400, "attributes.profiles.data must be a non-empty array")
        if len(profiles) > limit:
            raise reject(400, f"Maximum number of profiles per call: {limit}")
        rel = (((data.get("relationships") or {}).get("list")) or {}).get("data") or {}
        list_id = rel.get("id")
        if list_id and list_id not in self.lists:
            raise reject(404, f"List {list_id} does not exist.")
        for item in profiles:
            attributes = item.get("attributes") or {}
            if "subscriptions" not in attributes:
                raise reject(400, "attributes.subscriptions is required")
            email = attributes.get("email")
            if email is not None and not EMAIL_OK.match(email):
                raise reject(400, f"Invalid email address: {email}")
        return profiles, list_id

    def _subscribe(self, call: Call) -> tuple[int, Any]:
        profiles, list_id = self._job_profiles(
            call, "profile-subscription-bulk-create-job", MAX_SUBSCRIBE
        )
        for item in profiles:
            attributes = item["attributes"]
            profile = self._upsert_profile(
                {k: attributes[k] for k in ("email", "phone_number") if attributes.get(k)}
            )
            subs = attributes["subscriptions"]
            if "email" in subs:
                # as documented: subscribing lifts UNSUBSCRIBE / USER_SUPPRESSED suppressions
                profile["email_consent"] = "SUBSCRIBED"
                if profile["suppression"] and profile["suppression"]["reason"] != "HARD_BOUNCE":
                    profile["suppression"] = None
            if "sms" in subs:
                profile["sms_consent"] = "SUBSCRIBED"
            profile["updated"] = _now()
            if list_id:
                self.lists[list_id]["members"].add(profile["id"])
        return 202, None

    def _unsubscribe(self, call: Call) -> tuple[int, Any]:
        profiles, list_id = self._job_profiles(
            call, "profile-subscription-bulk-delete-job", MAX_UNSUBSCRIBE
        )
        for item in profiles:
            attributes = item["attributes"]
            # as documented: unknown profiles are created, then unsubscribed; profiles not in
            # the given list are unsubscribed globally
            profile = self._upsert_profile(
                {k: attributes[k] for k in ("email", "phone_number") if attributes.get(k)}
            )
            in_list = bool(list_id) and profile["id"] in self.lists[list_id]["members"]
            if "email" in attributes["subscriptions"]:
                profile["email_consent"] = "UNSUBSCRIBED"
                if in_list:
                    profile["list_suppressions"].append(
                        {"list_id": list_id, "reason": "USER_SUPPRESSED", "timestamp": _now()}
                    )
                else:
                    profile["suppression"] = {"reason": "UNSUBSCRIBE", "timestamp": _now()}
            if "sms" in attributes["subscriptions"]:
                profile["sms_consent"] = "UNSUBSCRIBED"
            profile["updated"] = _now()
            if list_id:
                self.lists[list_id]["members"].discard(profile["id"])
        return 202, None

    def _relationship_ids(self, call: Call) -> tuple[dict, list[str]]:
        lst = self.lists.get(call.params["list_id"])
        if lst is None:
            raise reject(404, "List not found.")
        data = (call.request.body or {}).get("data")
        if not isinstance(data, list) or not data:
            raise reject(400, "data must be a non-empty array of profile identifiers")
        if len(data) > MAX_RELATIONSHIPS:
            raise reject(400, f"This endpoint accepts a maximum of {MAX_RELATIONSHIPS} profiles")
        if any(d.get("type") != "profile" or not d.get("id") for d in data):
            raise reject(400, "each item needs type 'profile' and an id")
        return lst, [d["id"] for d in data]

    def _add_relationships(self, call: Call) -> tuple[int, Any]:
        lst, ids = self._relationship_ids(call)
        lst["members"].update(i for i in ids if i in self.profiles)
        return 204, None

    def _remove_relationships(self, call: Call) -> tuple[int, Any]:
        lst, ids = self._relationship_ids(call)
        lst["members"].difference_update(ids)
        return 204, None
