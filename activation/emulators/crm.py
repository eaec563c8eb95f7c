"""Emulators for Sendlane, Iterable, Braze and Attentive: contacts/users, lists, attributes."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from starlette.routing import Route

from activation.emulators.common import E164_OK, EMAIL_OK, Call, VendorEmulator, reject
from activation.ratelimit import RateLimit


class SendlaneEmulator(VendorEmulator):
    """Sendlane v2: `POST /lists/{list_id}/contacts` (<= 100 contacts, 202)."""

    vendor = "sendlane"
    prefix = "/sendlane/v2"
    limits: ClassVar[dict[str, RateLimit]] = {"api": RateLimit(5.0, 5)}

    persistent = ("lists", "contacts")

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.lists: dict[int, set[str]] = {}
        self.contacts: dict[str, dict] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        return {"message": message, "status": status}

    def routes(self) -> list[Route]:
        return [self.route("/lists/{list_id}/contacts", "POST", "api", self._add)]

    def list_members(self, list_id: int) -> set[str]:
        """Emails/phones on list `list_id` that are subscribed."""
        with self.lock:
            return {
                c
                for c in self.lists.get(list_id, set())
                if self.contacts[c]["status"] == "subscribed"
            }

    def unsubscribe(self, email: str) -> None:
        """Mark a contact unsubscribed (adding them to lists later keeps that status)."""
        with self.lock:
            self.contacts.setdefault(email, {"email": email})["status"] = "unsubscribed"

    def _add(self, call: Call) -> tuple[int, Any]:
        contacts = (call.request.body or {}).get("contacts")
        if not isinstance(contacts, list) or not contacts:
            raise reject(422, "The contacts field is required.")
        if len(contacts) > 100:
            raise reject(422, "The contacts may not have more than 100 items.")
        errors = []
        members = self.lists.setdefault(int(call.params["list_id"]), set())
        for index, contact in enumerate(contacts):
            key = contact.get("email") or contact.get("phone")
            if contact.get("email") and not EMAIL_OK.match(contact["email"]):
                errors.append(
                    {"index": index, "message": "The email must be a valid email address."}
                )
                continue
            if not key:
                errors.append({"index": index, "message": "An email or phone is required."})
                continue
            stored = self.contacts.setdefault(key, {"status": "subscribed"})
            stored.update({k: v for k, v in contact.items() if k != "status"})
            members.add(key)
        return 202, {"message": "Accepted", "errors": errors}


class IterableEmulator(VendorEmulator):
    """Iterable: users/bulkUpdate (<= 1000), lists, list subscribe/unsubscribe."""

    vendor = "iterable"
    prefix = "/iterable"
    limits: ClassVar[dict[str, RateLimit]] = {
        "bulk_update": RateLimit(5.0, 5),
        "lists": RateLimit(10.0, 10),
    }

    persistent = ("users", "lists")

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.users: dict[str, dict] = {}
        self.lists: dict[int, dict] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("api-key") == self.api_key

    def error(self, status: int, message: str) -> Any:
        code = {401: "BadApiKey", 429: "RateLimitExceeded"}.get(status, "BadParams")
        return {"msg": message, "code": code, "params": None}

    def routes(self) -> list[Route]:
        r = self.route
        return [
            r("/api/lists", "GET", "lists", self._lists),
            r("/api/lists", "POST", "lists", self._create_list),
            r("/api/users/bulkUpdate", "POST", "bulk_update", self._bulk_update),
            r("/api/lists/subscribe", "POST", "lists", self._subscribe),
            r("/api/lists/unsubscribe", "POST", "lists", self._unsubscribe),
        ]

    def list_members(self, name: str) -> set[str]:
        """Emails on list `name`."""
        with self.lock:
            for lst in self.lists.values():
                if lst["name"] == name:
                    return set(lst["members"])
            return set()

    def _lists(self, call: Call) -> tuple[int, Any]:
        return 200, {
            "lists": [
                {"id": i, "name": v["name"], "listType": "Standard"} for i, v in self.lists.items()
            ]
        }

    def _create_list(self, call: Call) -> tuple[int, Any]:
        name = (call.request.body or {}).get("name")
        if not name:
            raise reject(400, "name is required")
        list_id = len(self.lists) + 1
        self.lists[list_id] = {"name": name, "members": set()}
        return 200, {"listId": list_id}

    def _result(self, ok: int, invalid: list[str], not_found: list[str] | None = None) -> dict:
        return {
            "successCount": ok,
            "failCount": len(invalid) + len(not_found or []),
            "invalidEmails": invalid,
            "invalidUserIds": [],
            "notFoundEmails": not_found or [],
            "notFoundUserIds": [],
        }

    def _bulk_update(self, call: Call) -> tuple[int, Any]:
        users = (call.request.body or {}).get("users")
        if not isinstance(users, list) or not users:
            raise reject(400, "users must be a non-empty array")
        if len(users) > 1000:
            raise reject(400, "bulkUpdate accepts at most 1000 users per request")
        invalid, ok = [], 0
        for user in users:
            email = str(user.get("email", ""))
            if not EMAIL_OK.match(email):
                invalid.append(email)
                continue
            stored = self.users.setdefault(email.lower(), {"email": email, "dataFields": {}})
            stored["dataFields"].update(user.get("dataFields") or {})
            ok += 1
        return 200, self._result(ok, invalid)

    def _subscribers(self, call: Call) -> tuple[dict, list[dict]]:
        body = call.request.body or {}
        lst = self.lists.get(body.get("listId"))
        if lst is None:
            raise reject(400, f"List {body.get('listId')} does not exist")
        subscribers = body.get("subscribers")
        if not isinstance(subscribers, list) or not subscribers or len(subscribers) > 1000:
            raise reject(400, "subscribers must hold 1 to 1000 users")
        return lst, subscribers

    def _subscribe(self, call: Call) -> tuple[int, Any]:
        lst, subscribers = self._subscribers(call)
        only_existing = (call.request.body or {}).get("updateExistingUsersOnly", False)
        invalid, missing, ok = [], [], 0
        for sub in subscribers:
            email = str(sub.get("email", ""))
            if not EMAIL_OK.match(email):
                invalid.append(email)
            elif only_existing and email.lower() not in self.users:
                missing.append(email)
            else:
                self.users.setdefault(email.lower(), {"email": email, "dataFields": {}})
                lst["members"].add(email)
                ok += 1
        return 200, self._result(ok, invalid, missing)

    def _unsubscribe(self, call: Call) -> tuple[int, Any]:
        lst, subscribers = self._subscribers(call)
        channel = bool((call.request.body or {}).get("channelUnsubscribe"))
        for sub in subscribers:
            email = str(sub.get("email", ""))
            lst["members"].discard(email)
            if channel:  # the list's message channel: the user gets no email from it any more
                user = self.users.setdefault(email.lower(), {"email": email, "dataFields": {}})
                user["email_unsubscribed"] = True
        return 200, self._result(len(subscribers), [])

    def channel_unsubscribed(self, email: str) -> bool:
        """Whether `email` unsubscribed from the email channel."""
        with self.lock:
            return bool(self.users.get(email.lower(), {}).get("email_unsubscribed"))


class BrazeEmulator(VendorEmulator):
    """Braze `/users/track`: at most 75 attribute objects; a null value removes an attribute."""

    vendor = "braze"
    prefix = "/braze"
    limits: ClassVar[dict[str, RateLimit]] = {"users_track": RateLimit(1000.0, 3000)}

    persistent = ("users",)

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.users: dict[str, dict] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        return {"message": message}

    def routes(self) -> list[Route]:
        return [self.route("/users/track", "POST", "users_track", self._track)]

    def users_with(self, attribute: str) -> set[str]:
        """External ids of users whose `attribute` is true."""
        with self.lock:
            return {uid for uid, attrs in self.users.items() if attrs.get(attribute) is True}

    def _track(self, call: Call) -> tuple[int, Any]:
        attributes = (call.request.body or {}).get("attributes") or []
        if len(attributes) > 75:
            raise reject(400, "Too many attributes objects. Max 75 allowed per request.")
        errors = []
        for index, item in enumerate(attributes):
            uid = item.get("external_id")
            email = item.get("email")
            if not uid or (email is not None and not EMAIL_OK.match(str(email))):
                errors.append(
                    {
                        "type": "'external_id' or a valid 'email' is required",
                        "input_array": "attributes",
                        "index": index,
                    }
                )
                continue
            user = self.users.setdefault(str(uid), {})
            for key, value in item.items():
                if value is None:
                    user.pop(key, None)
                else:
                    user[key] = value
        body: dict[str, Any] = {
            "message": "success",
            "attributes_processed": len(attributes) - len(errors),
        }
        if errors:
            body["errors"] = errors
        return 201, body


class AttentiveEmulator(VendorEmulator):
    """Attentive: subscribers (opted-out users stay opted out) and custom attributes."""

    vendor = "attentive"
    prefix = "/attentive/v1"
    limits: ClassVar[dict[str, RateLimit]] = {
        "subscribers": RateLimit(10.0, 10),
        "attributes": RateLimit(10.0, 10),
        "unsubscribe": RateLimit(10.0, 10),
    }

    persistent = ("subscribers",)

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.subscribers: dict[str, dict] = {}

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        return {"message": message, "traceId": uuid.uuid4().hex}

    def routes(self) -> list[Route]:
        return [
            self.route("/subscribers", "POST", "subscribers", self._subscribe),
            self.route("/attributes/custom", "POST", "attributes", self._attributes),
            self.route("/subscriptions/unsubscribe", "POST", "unsubscribe", self._unsubscribe),
        ]

    def opt_out(self, phone: str) -> None:
        """Mark `phone` as having replied STOP."""
        with self.lock:
            self.subscribers.setdefault(phone, {"attributes": {}})["status"] = "opted_out"

    def subscribed(self) -> set[str]:
        """Phones currently subscribed."""
        with self.lock:
            return {p for p, s in self.subscribers.items() if s.get("status") == "subscribed"}

    def _user(self, call: Call) -> str:
        user = (call.request.body or {}).get("user") or {}
        phone = str(user.get("phone", ""))
        if not E164_OK.match(phone):
            raise reject(400, f"Invalid phone number: {phone}")
        return phone

    def _subscribe(self, call: Call) -> tuple[int, Any]:
        phone = self._user(call)
        if not (call.request.body or {}).get("signUpSourceId"):
            raise reject(400, "signUpSourceId is required")
        stored = self.subscribers.setdefault(phone, {"attributes": {}})
        if stored.get("status") != "opted_out":
            stored["status"] = "subscribed"
        return 202, None

    def _unsubscribe(self, call: Call) -> tuple[int, Any]:
        phone = self._user(call)
        self.subscribers.setdefault(phone, {"attributes": {}})["status"] = "opted_out"
        return 202, None

    def _attributes(self, call: Call) -> tuple[int, Any]:
        phone = self._user(call)
        properties = (call.request.body or {}).get("properties")
        if not isinstance(properties, dict):
            raise reject(400, "properties must be an object")
        self.subscribers.setdefault(phone, {"attributes": {}})["attributes"].update(properties)
        return 200, None
