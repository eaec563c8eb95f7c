"""Message-send emulators: Twilio Messages API and WhatsApp Cloud API template messages.

Both honour an `Idempotency-Key` header (a repeated key replays the first answer without a
second message), keep opted-out recipients, and log every message.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any, ClassVar

from starlette.routing import Route

from activation.emulators.common import E164_OK, Call, VendorEmulator, reject
from activation.ratelimit import RateLimit


class TwilioEmulator(VendorEmulator):
    """Twilio account: `POST /2010-04-01/Accounts/{sid}/Messages.json`, API-key basic auth."""

    vendor = "twilio"
    prefix = "/twilio"
    idempotent_writes = True
    limits: ClassVar[dict[str, RateLimit]] = {"messages": RateLimit(10.0, 10)}

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.messages: list[dict] = []
        self.opted_out: set[str] = set()

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
        return [
            self.route("/2010-04-01/Accounts/{sid}/Messages.json", "POST", "messages", self._send)
        ]

    def messages_to(self, number: str) -> list[dict]:
        """Messages sent to `number`."""
        with self.lock:
            return [m for m in self.messages if m["to"] == number]

    def _send(self, call: Call) -> tuple[int, Any]:
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
            "body": body,
            "status": "queued",
            "account_sid": call.params["sid"],
        }
        self.messages.append(message)
        return 201, message


class WhatsappEmulator(VendorEmulator):
    """WhatsApp Cloud API: `POST /{version}/{phone_number_id}/messages` with approved templates."""

    vendor = "whatsapp"
    prefix = "/whatsapp"
    idempotent_writes = True
    limits: ClassVar[dict[str, RateLimit]] = {"messages": RateLimit(80.0, 80)}

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.messages: list[dict] = []
        self.templates: set[str] = {"hello_world"}

    def approve_template(self, name: str) -> None:
        """Make template `name` usable."""
        with self.lock:
            self.templates.add(name)

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error(self, status: int, message: str) -> Any:
        code = {401: 190, 429: 130429, 503: 131000}.get(status, 100)
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
        self.messages.append({"id": wamid, "to": to, "template": template})
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
