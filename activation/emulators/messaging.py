"""Message-send emulators: Twilio Messages API and WhatsApp Cloud API template messages.

Neither honours an `Idempotency-Key` header (Twilio and Meta document none): every accepted
request is a new message. Twilio lists messages (`GET .../Messages.json`, filtered by To, From
and DateSent, newest first, paged with PageSize/Page/PageToken and `next_page_uri`); a new
message is `queued` without `date_sent` for `send_delay_s`, then `sent`. `outage_after(n)`
answers 503 to every request after n more accepted messages, until `end_outage()`.
`fail_after_accept(n)` answers 500 to the next n sends after accepting them: Twilio documents
that a send answered 500 may have been delivered (retrying it can send it twice).
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from starlette.routing import Route

from activation.emulators.common import E164_OK, Call, VendorEmulator, reject
from activation.ratelimit import RateLimit


class _Outage:
    """Accept `remaining` more messages, then answer 503 until the outage ends."""

    def __init__(self) -> None:
        self.remaining: int | None = None

    def check(self) -> None:
        if self.remaining is not None and self.remaining <= 0:
            raise reject(503, "Service temporarily unavailable.")

    def accepted(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


def _rfc2822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(ts), UTC))


class _MessagingEmulator(VendorEmulator):
    """A message API that tests can take down mid-run (`outage_after`) or make fail after
    accepting (`fail_after_accept`)."""

    internal_error: ClassVar[str] = "Internal Server Error"

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.messages: list[dict] = []
        self._outage = _Outage()
        self._fail_after_accept = 0

    def fail_after_accept(self, count: int) -> None:
        """Accept the next `count` messages, but answer each with a 500."""
        with self.lock:
            self._fail_after_accept = count

    def _accepted(self, message: dict) -> None:
        """Store an accepted message; raise the 500 a `fail_after_accept` asks for."""
        self.messages.append(message)
        self._outage.accepted()
        if self._fail_after_accept > 0:
            self._fail_after_accept -= 1
            raise reject(500, self.internal_error)

    def outage_after(self, accepted: int) -> None:
        """Answer 503 to every request once `accepted` more messages were accepted."""
        with self.lock:
            self._outage.remaining = accepted

    def end_outage(self) -> None:
        """Serve requests normally again."""
        with self.lock:
            self._outage.remaining = None


class TwilioEmulator(_MessagingEmulator):
    """Twilio account: `POST|GET /2010-04-01/Accounts/{sid}/Messages.json`, API-key basic auth."""

    vendor = "twilio"
    prefix = "/twilio"
    internal_error = "20500: Internal Server Error"
    limits: ClassVar[dict[str, RateLimit]] = {
        "messages": RateLimit(10.0, 10),
        "message_list": RateLimit(10.0, 10),
    }
    max_page_size = 1000

    persistent = ("messages", "opted_out")

    def __init__(self, faults, api_key: str, send_delay_s: float = 1.0) -> None:
        super().__init__(faults, api_key)
        self.opted_out: set[str] = set()
        self.send_delay_s = send_delay_s

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        return auth == "Basic " + base64.b64encode(self.api_key.encode()).decode()

    def error(self, status: int, message: str) -> Any:
        codes = {401: 20003, 404: 20404, 429: 20429, 503: 20503}
        code = int(message.split(":")[0]) if message[:5].isdigit() else codes.get(status, 21000)
        return {
            "code": code,
            "message": message.split(": ", 1)[-1],
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }

    def routes(self) -> list[Route]:
        path = "/2010-04-01/Accounts/{sid}/Messages.json"
        return [
            self.route(path, "POST", "messages", self._send),
            self.route(path, "GET", "message_list", self._list),
        ]

    def _resource(self, message: dict) -> dict:
        """`message` as the API shows it now (queued until `send_delay_s` has passed)."""
        created = message["created"]
        sent = time.time() >= created + self.send_delay_s
        return {
            "sid": message["sid"],
            "account_sid": message["account_sid"],
            "to": message["to"],
            "from": message["from"],
            "messaging_service_sid": message["messaging_service_sid"],
            "body": message["body"],
            "status": "sent" if sent else "queued",
            "direction": "outbound-api",
            "date_created": _rfc2822(created),
            "date_updated": _rfc2822(created + (self.send_delay_s if sent else 0)),
            "date_sent": _rfc2822(created + self.send_delay_s) if sent else None,
            "num_segments": "1",
            "uri": f"/2010-04-01/Accounts/{message['account_sid']}/Messages/{message['sid']}.json",
        }

    def _list(self, call: Call) -> tuple[int, Any]:
        self._outage.check()
        query = call.request.query
        try:
            size = min(int(query.get("PageSize", 50)), self.max_page_size)
            page = int(query.get("Page", 0))
        except ValueError:
            raise reject(400, "20001: Invalid paging parameter") from None
        if size < 1 or page < 0:
            raise reject(400, "20001: Invalid paging parameter")
        sid = call.params["sid"]
        found = []
        for message in sorted(self.messages, key=lambda m: m["created"], reverse=True):
            resource = self._resource(message)
            if resource["account_sid"] != sid or not _list_filter(resource, query):
                continue
            found.append(resource)
        chunk = found[page * size : (page + 1) * size]
        base = f"/2010-04-01/Accounts/{sid}/Messages.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}

        def uri(number: int) -> str:
            token = {"PageToken": f"PASM{number * size}"} if number else {}
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number, **token})}"

        more = (page + 1) * size < len(found)
        return 200, {
            "messages": chunk,
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + max(len(chunk) - 1, 0),
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        }

    def messages_to(self, number: str) -> list[dict]:
        """Messages sent to `number`."""
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    def _send(self, call: Call) -> tuple[int, Any]:
        self._outage.check()
        form = call.request.body or {}
        to, body = form.get("To", ""), form.get("Body", "")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            raise reject(400, "21603: A 'From' or 'MessagingServiceSid' parameter is required")
        if not E164_OK.match(to):
            raise reject(400, f"21211: Invalid 'To' Phone Number: {to}")
        if not body or len(body) > 1600:
            raise reject(
                400, "21617: The concatenated message body exceeds the 1600 character limit"
            )
        if to in self.opted_out:
            raise reject(400, "21610: Attempt to send to unsubscribed recipient")
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "account_sid": call.params["sid"],
            "created": time.time(),
        }
        self._accepted(message)
        return 201, self._resource(message)


def _list_filter(resource: dict, query: dict[str, str]) -> bool:
    """Twilio's list filters: To, From, DateSent (exact day), DateSent< and DateSent> (the
    `DateSent<=` / `DateSent>=` of the docs, inclusive); unsent messages have no date sent."""
    for field, key in (("to", "To"), ("from", "From")):
        if key in query and resource[field] != query[key]:
            return False
    day = (
        datetime.strptime(resource["date_sent"], "%a, %d %b %Y %H:%M:%S %z").date().isoformat()
        if resource["date_sent"]
        else None
    )
    for key, ok in (
        ("DateSent", lambda d, v: d == v),
        ("DateSent<", lambda d, v: d <= v),
        ("DateSent>", lambda d, v: d >= v),
    ):
        if key in query and (day is None or not ok(day, query[key])):
            return False
    return True


class WhatsappEmulator(_MessagingEmulator):
    """WhatsApp Cloud API: `POST /{version}/{phone_number_id}/messages` with approved templates."""

    vendor = "whatsapp"
    prefix = "/whatsapp"
    limits: ClassVar[dict[str, RateLimit]] = {"messages": RateLimit(80.0, 80)}

    persistent = ("messages", "templates")

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.templates: set[str] = {"hello_world"}

    def approve_template(self, name: str) -> None:
        """Make template `name` usable."""
        with self.lock:
            self.templates.add(name)

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        code = {401: 190, 429: 130429, 500: 131000, 503: 131000}.get(status, 100)
        return {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": uuid.uuid4().hex[:12],
            }
        }

    def routes(self) -> list[Route]:
        return [self.route("/{version}/{phone_number_id}/messages", "POST", "messages", self._send)]

    def messages_to(self, wa_id: str) -> list[dict]:
        """Messages sent to `wa_id` (digits only)."""
        with self.lock:
            return [m for m in self.messages if m["to"] == wa_id]

    def _send(self, call: Call) -> tuple[int, Any]:
        self._outage.check()
        body = call.request.body or {}
        if body.get("messaging_product") != "whatsapp":
            raise reject(400, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to", ""))
        if not re.fullmatch(r"\d{7,15}", to):
            raise reject(400, f"(#100) Invalid parameter: to {to!r} is not a valid phone number")
        template = body.get("template") or {}
        if body.get("type") != "template" or not (template.get("language") or {}).get("code"):
            raise reject(400, "(#100) template with name and language.code is required")
        if template.get("name") not in self.templates:
            raise reject(404, "(#132001) Template name does not exist in the translation")
        wamid = "wamid." + uuid.uuid4().hex
        self._accepted({"id": wamid, "to": to, "template": template})
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
