"""Klaviyo: bulk profile import jobs (polled), bulk subscribe/unsubscribe jobs, list relationships.

JSON:API bodies with the `revision` header. Consent is read back by what changed: before
planning, every opt-out since the last read (email: `greater-than` on the suppression and list
suppression timestamps; SMS: `greater-than(updated,...)`) plus the status of people new to
Klaviyo (`lookup_consent`); after each import, opt-outs since the previous read again. Adds are
imported (no consent change) and only profiles that never subscribed are subscribed with consent
(the subscribe API lifts suppressions); already-subscribed profiles are only added to the list,
unsubscribed or suppressed ones are left alone. Mirror removals take people off the list without
touching consent, except members whose consent was withdrawn in the warehouse: those are
unsubscribed from the channel (account-wide) and taken off the list. A list is created only
after looking it up by name, also before retrying a creation that got no answer.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import (
    BLOCKING_STATUSES,
    HttpDestination,
    Record,
    RowFailures,
    chunks,
)
from activation.errors import (
    ConnectionFailedError,
    DestinationError,
    RateLimitedError,
    ServerError,
)
from activation.http import retry_wait
from activation.ratelimit import RateLimit

REVISION = "2026-07-15"
STANDARD_ATTRIBUTES = frozenset(
    {"first_name", "last_name", "organization", "title", "locale", "image"}
)
JSONAPI = "application/vnd.api+json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_SLACK = timedelta(minutes=5)
LIST_CREATE_ATTEMPTS = 5
EMAIL_OPT_OUTS = (
    "subscriptions.email.marketing.suppression.timestamp",
    "subscriptions.email.marketing.list_suppressions.timestamp",
)


class KlaviyoOptions(BaseModel):
    """Options of a Klaviyo sync."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revision: str = Field(REVISION, pattern=r"^\d{4}-\d{2}-\d{2}(\.\w+)?$")
    subscribe: bool = True  # record marketing consent; False: list membership only
    job_timeout_s: float = Field(900.0, gt=0)
    poll_interval_s: float = Field(0.2, gt=0)


def _per_minute(n: int) -> float:
    return n / 60.0


class KlaviyoDestination(HttpDestination):
    """Klaviyo lists (target = list name, created if missing)."""

    name = "klaviyo"
    Options = KlaviyoOptions
    channels = frozenset({"email", "sms"})
    identifier_keys = frozenset({"email", "phone_number", "external_id"})
    channel_identifier: ClassVar[dict[str, str]] = {"email": "email", "sms": "phone_number"}
    upsert_batch_size = 10_000  # profiles per bulk import job
    remove_batch_size = 1_000  # profiles per list-relationship delete
    subscribe_batch_size = 1_000
    unsubscribe_batch_size = 100
    filter_values = 100  # values in one any() filter == max page size
    batches_in_flight = 2  # import the next batch while the current one is subscribed
    request_concurrency = 4  # subscribe/unsubscribe/relationship calls of a batch at once
    unsubscribe_channels = frozenset({"email", "sms"})
    default_base_url = "https://a.klaviyo.com"
    # documented per-endpoint limits: burst per second, steady per minute
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

    list_id: str | None = None

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {
            "Authorization": f"Klaviyo-API-Key {api_key}",
            "revision": self.options.revision,
            "Accept": JSONAPI,
            "Content-Type": JSONAPI,
        }

    def _json(self, method: str, path: str, limit: str, **kwargs: Any) -> dict:
        return self.client.request_json(
            method, path, limit=limit, headers={"Content-Type": JSONAPI}, **kwargs
        )

    def _find_list(self) -> str | None:
        """The id of the list named like the sync's target, if Klaviyo has one."""
        target = self.sync.target.replace('"', '\\"')
        found = self._json(
            "GET", "/api/lists", "lists_read", params={"filter": f'equals(name,"{target}")'}
        )
        return found["data"][0]["id"] if found.get("data") else None

    def prepare(self) -> None:
        """Find the target list by name, or create it.

        A creation that got no answer (timeout, 5xx, 429) may still have created the list, so it
        is never resent blindly: the list is looked up by name again before each new attempt.
        """
        for attempt in range(1, LIST_CREATE_ATTEMPTS + 1):
            self.list_id = self._find_list()
            if self.list_id:
                return
            try:
                created = self.client.request(
                    "POST",
                    "/api/lists",
                    limit="lists_create",
                    json_body={"data": {"type": "list", "attributes": {"name": self.sync.target}}},
                    headers={"Content-Type": JSONAPI},
                    attempts=1,
                ).json()
            except (ServerError, ConnectionFailedError, RateLimitedError) as exc:
                if attempt == LIST_CREATE_ATTEMPTS:
                    raise
                time.sleep(retry_wait(attempt, exc, random.random))
                continue
            self.list_id = created["data"]["id"]
            return

    # --- reading provider state -------------------------------------------------------------
    def _profiles(self, params: dict[str, str], max_pages: int | None = None) -> list[dict] | None:
        """All profiles matching `params` (with subscriptions), following cursor pages.

        None when there are more than `max_pages` pages.
        """
        params = {
            **params,
            "additional-fields[profile]": "subscriptions",
            "page[size]": str(self.filter_values),
        }
        profiles: list[dict] = []
        pages = 0
        while True:
            if max_pages is not None and pages == max_pages:
                return None
            pages += 1
            page = self._json("GET", "/api/profiles", "profiles_read", params=params)
            profiles.extend(page.get("data", []))
            next_url = (page.get("links") or {}).get("next")
            if not next_url:
                return profiles
            cursor = parse_qs(urlparse(next_url).query).get("page[cursor]")
            if not cursor:
                return profiles
            params = {**params, "page[cursor]": cursor[0]}

    def members(self) -> set[str]:
        """Emails (or phones) of the list's profiles, following cursor pages."""
        field = self._contact_field()
        params = {"page[size]": str(self.filter_values)}
        found: set[str] = set()
        while True:
            page = self._json(
                "GET", f"/api/lists/{self.list_id}/profiles", "list_profiles", params=params
            )
            for profile in page.get("data", []):
                value = profile["attributes"].get(field)
                if value:
                    found.add(str(value).strip().lower() if field == "email" else str(value))
            cursor = parse_qs(urlparse((page.get("links") or {}).get("next") or "").query).get(
                "page[cursor]"
            )
            if not cursor:
                return found
            params = {**params, "page[cursor]": cursor[0]}

    def _lookup(self, field: str, values: list[str]) -> list[dict]:
        found: list[dict] = []
        for group in chunks(sorted(set(values)), self.filter_values):
            quoted = ",".join('"' + v.replace('"', '\\"') + '"' for v in group)
            found.extend(self._profiles({"filter": f"any({field},[{quoted}])"}) or [])
        return found

    def _contact_field(self) -> str:
        return "email" if self.sync.channel == "email" else "phone_number"

    def _contact(self, value: object) -> str:
        text = str(value or "").strip()
        return text.lower() if self.sync.channel == "email" else text

    def _status(self, profile: dict) -> str:
        """The profile's consent on this sync's channel, normalised (see `Destination.observed`)."""
        subscriptions = profile["attributes"].get("subscriptions") or {}
        channel = "email" if self.sync.channel == "email" else "sms"
        marketing = (subscriptions.get(channel) or {}).get("marketing") or {}
        list_suppressed = any(
            s.get("list_id") == self.list_id for s in marketing.get("list_suppressions") or []
        )
        if marketing.get("suppression") or list_suppressed:
            return "suppressed"
        return {"SUBSCRIBED": "subscribed", "UNSUBSCRIBED": "unsubscribed"}.get(
            marketing.get("consent") or "", "never_subscribed"
        )

    def _statuses(self, profiles: list[dict]) -> dict[str, str]:
        field = self._contact_field()
        return {
            self._contact(p["attributes"].get(field)): self._status(p)
            for p in profiles
            if p["attributes"].get(field)
        }

    def consent_changes(self, since: datetime | None) -> dict[str, str]:
        """Opt-outs since `since` (email: suppressions and list suppressions; SMS: updated)."""
        if self.list_id is None:
            self.list_id = self._find_list()
        stamp = (since or EPOCH).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = EMAIL_OPT_OUTS if self.sync.channel == "email" else ("updated",)
        changed: dict[str, str] = {}
        for field in fields:
            profiles = self._profiles({"filter": f"greater-than({field},{stamp})"}) or []
            changed.update(self._statuses(profiles))
        self._read_at = datetime.now(UTC)
        return changed

    def lookup_consent(self, contacts: list[str]) -> dict[str, str]:
        """Status of `contacts` at Klaviyo: 100 per `any()` lookup, or, when the account holds
        fewer profiles than a quarter of those lookups would return, one read of the account."""
        wanted = set(contacts)
        if not wanted:
            return {}
        pages = math.ceil(len(wanted) / self.filter_values)
        scanned = self._profiles({}, max_pages=pages // 4) if pages >= 4 else None
        if scanned is None:
            scanned = self._lookup(self._contact_field(), sorted(wanted))
        return {c: s for c, s in self._statuses(scanned).items() if c in wanted}

    def _refresh(self) -> None:
        """Opt-outs since the previous read (with slack for clock skew) into `consent`."""
        since = getattr(self, "_read_at", None)
        self.consent.update(self.consent_changes(since - CLOCK_SLACK if since else None))

    def blocked(self, records: list[Record]) -> dict[str, str]:
        """Records whose contact Klaviyo holds as unsubscribed/suppressed (known this run)."""
        field = self._contact_field()
        found = {}
        for r in records:
            status = self.consent.get(self._contact(r.identifiers.get(field)))
            if status:
                self.observed[r.key] = status
            if status in BLOCKING_STATUSES:
                found[r.key] = status
        return found

    def members_among(self, contacts: list[str]) -> set[str]:
        """Which of `contacts` are on the list (`any()` filters on the list's profiles)."""
        field = self._contact_field()
        found: set[str] = set()
        for group in chunks(sorted(set(contacts)), self.filter_values):
            quoted = ",".join('"' + v.replace('"', '\\"') + '"' for v in group)
            params = {"filter": f"any({field},[{quoted}])", "page[size]": str(self.filter_values)}
            page = self._json(
                "GET", f"/api/lists/{self.list_id}/profiles", "list_profiles", params=params
            )
            found.update(
                self._contact(p["attributes"].get(field))
                for p in page.get("data", [])
                if p["attributes"].get(field)
            )
        return found

    # --- writes ----------------------------------------------------------------------------
    def _profile(self, record: Record) -> dict:
        attributes: dict[str, Any] = {
            k: str(v) for k, v in record.identifiers.items() if v is not None
        }
        properties = {}
        unset = []
        for key, value in record.fields.items():
            if key in STANDARD_ATTRIBUTES:
                if value is not None:
                    attributes[key] = str(value)
            elif value is None:
                unset.append(key)
            else:
                properties[key] = value
        if properties:
            attributes["properties"] = properties
        profile: dict[str, Any] = {"type": "profile", "attributes": attributes}
        if unset:
            profile["meta"] = {"patch_properties": {"unset": unset}}
        return profile

    def upsert(self, records: list[Record]) -> RowFailures:
        """Import profiles (never touches consent), then put the adds on the list.

        Right after the import, opt-outs since the previous read are read again; then profiles
        that never subscribed are subscribed to the list (the only call that records consent,
        and one that would lift a suppression), profiles already subscribed are only added to
        the list, and unsubscribed or suppressed ones are left alone.
        """
        failures = self._import(records)
        if not self.options.subscribe:
            return failures
        adds = [r for r in records if r.op == "add" and r.key not in failures]
        if not adds:
            return failures
        self._refresh()
        field = self._contact_field()
        status = {r.key: self.consent.get(self._contact(r.identifiers.get(field))) for r in adds}
        new = [r for r in adds if status[r.key] in (None, "never_subscribed")]
        known = [r for r in adds if status[r.key] == "subscribed"]
        self.fan_out(self._subscribe, chunks(new, self.subscribe_batch_size))
        ids = [p["id"] for p in self._lookup(field, [str(r.identifiers[field]) for r in known])]
        self.fan_out(self._add_to_list, chunks(ids, self.remove_batch_size))
        subscribed = {r.key for r in new} | {r.key for r in known}
        for record in adds:
            self.observed[record.key] = (
                "subscribed" if record.key in subscribed else str(status[record.key])
            )
        return failures

    def _import(self, records: list[Record]) -> RowFailures:
        body: dict[str, Any] = {
            "data": {
                "type": "profile-bulk-import-job",
                "attributes": {"profiles": {"data": [self._profile(r) for r in records]}},
            }
        }
        if not self.options.subscribe and any(r.op == "add" for r in records):
            body["data"]["relationships"] = {
                "lists": {"data": [{"type": "list", "id": self.list_id}]}
            }
        job = self._json("POST", "/api/profile-bulk-import-jobs", "bulk_import", json_body=body)
        job_id = job["data"]["id"]
        attributes = self._wait_for_job(job_id)
        if attributes["status"] != "complete":
            reason = f"klaviyo bulk import job {job_id} ended {attributes['status']}"
            return {r.key: reason for r in records}
        if not attributes.get("failed_count"):
            return {}
        return self._import_errors(job_id, records)

    def _wait_for_job(self, job_id: str) -> dict:
        deadline = time.monotonic() + self.options.job_timeout_s
        while True:
            job = self._json("GET", f"/api/profile-bulk-import-jobs/{job_id}", "bulk_import_get")
            attributes = job["data"]["attributes"]
            if attributes["status"] in ("complete", "cancelled"):
                return attributes
            if time.monotonic() > deadline:
                raise DestinationError(
                    f"klaviyo: bulk import job {job_id} still {attributes['status']} after "
                    f"{self.options.job_timeout_s:.0f}s",
                    vendor=self.name,
                )
            time.sleep(self.options.poll_interval_s)

    def _import_errors(self, job_id: str, records: list[Record]) -> RowFailures:
        failures: RowFailures = {}
        path = f"/api/profile-bulk-import-jobs/{job_id}/import-errors"
        errors = self._json("GET", path, "bulk_import_get").get("data", [])
        for error in errors:
            attributes = error["attributes"]
            pointer = (attributes.get("source") or {}).get("pointer", "")
            index = pointer.rstrip("/").split("/")[-1] if pointer else ""
            text = f"{attributes.get('title', '')}: {attributes.get('detail', '')}".strip(": ")
            if index.isdigit() and int(index) < len(records):
                failures[records[int(index)].key] = text
        return failures

    def _channel_params(self, record: Record) -> dict[str, Any]:
        ids = record.identifiers
        if self.sync.channel == "email":
            attrs = {"email": ids["email"]}
            subscriptions = {"email": {"marketing": {"consent": "SUBSCRIBED"}}}
        else:
            attrs = {"phone_number": ids["phone_number"]}
            subscriptions = {"sms": {"marketing": {"consent": "SUBSCRIBED"}}}
        return {"type": "profile", "attributes": {**attrs, "subscriptions": subscriptions}}

    def _subscribe(self, records: list[Record]) -> None:
        body = {
            "data": {
                "type": "profile-subscription-bulk-create-job",
                "attributes": {
                    "custom_source": f"retention-warehouse sync {self.sync.name}",
                    "profiles": {"data": [self._channel_params(r) for r in records]},
                },
                "relationships": {"list": {"data": {"type": "list", "id": self.list_id}}},
            }
        }
        self.client.request(
            "POST",
            "/api/profile-subscription-bulk-create-jobs",
            limit="subscribe",
            json_body=body,
            headers={"Content-Type": JSONAPI},
        )

    def remove(self, records: list[Record]) -> RowFailures:
        """Take `records` off the list; withdrawn consent is also unsubscribed account-wide."""
        withdrawn = [r for r in records if r.reason == "consent_withdrawn"]
        self.fan_out(self._unsubscribe, chunks(withdrawn, self.unsubscribe_batch_size))
        field = self._contact_field()
        values = [str(r.identifiers.get(field)) for r in records if r.identifiers.get(field)]
        ids = [p["id"] for p in self._lookup(field, values)] if values else []
        self.fan_out(self._remove_from_list, chunks(ids, self.remove_batch_size))
        return {}

    def _add_to_list(self, profile_ids: list[str]) -> None:
        self.client.request(
            "POST",
            f"/api/lists/{self.list_id}/relationships/profiles",
            limit="list_relationships",
            json_body={"data": [{"type": "profile", "id": pid} for pid in profile_ids]},
            headers={"Content-Type": JSONAPI},
        )

    def _remove_from_list(self, profile_ids: list[str]) -> None:
        self.client.request(
            "DELETE",
            f"/api/lists/{self.list_id}/relationships/profiles",
            limit="list_relationships",
            json_body={"data": [{"type": "profile", "id": pid} for pid in profile_ids]},
            headers={"Content-Type": JSONAPI},
        )

    def _unsubscribe(self, records: list[Record]) -> None:
        profiles = []
        for record in records:
            if self.sync.channel == "email":
                attrs = {"email": record.identifiers["email"]}
                subscriptions = {"email": {"marketing": {"consent": "UNSUBSCRIBED"}}}
            else:
                attrs = {"phone_number": record.identifiers["phone_number"]}
                subscriptions = {"sms": {"marketing": {"consent": "UNSUBSCRIBED"}}}
            profiles.append(
                {"type": "profile", "attributes": {**attrs, "subscriptions": subscriptions}}
            )
        # no list: the person withdrew consent for the channel, not just for this list
        body = {
            "data": {
                "type": "profile-subscription-bulk-delete-job",
                "attributes": {"profiles": {"data": profiles}},
            }
        }
        self.client.request(
            "POST",
            "/api/profile-subscription-bulk-delete-jobs",
            limit="unsubscribe",
            json_body=body,
            headers={"Content-Type": JSONAPI},
        )
