"""Twilio Programmable Messaging: one SMS per audience event (triggered journeys).

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form encoded), authenticated with an API
key `SK...:secret` in TWILIO_API_KEY. Each event (record key) is messaged once: every message is
recorded in the delivery ledger as soon as Twilio accepts it, and a message whose outcome is
unknown (a crash between request and record; a 5xx, which Twilio documents may still have sent
it; a dropped connection or an unreadable answer) is looked up with
`GET .../Messages.json?To=...` (paged) before it is ever sent again. Twilio documents no
idempotency key for this API, so none is sent.
"""

from __future__ import annotations

import base64
import json
import string
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from activation.delivery import LedgerEntry
from activation.destinations.base import Record
from activation.destinations.messages import MessageDestination
from activation.errors import RequestRejectedError
from activation.ratelimit import RateLimit

LOOKUP_CLOCK_SKEW = timedelta(minutes=5)  # our clock vs Twilio's date_created (seconds)
LOOKUP_PAGE_SIZE = 1000  # Twilio's maximum PageSize
OPTED_OUT_CODE = 21610  # "Attempt to send to unsubscribed recipient"


class _Message(BaseModel):
    """The fields of a Twilio Message resource this destination reads."""

    model_config = ConfigDict(populate_by_name=True)

    sid: str = Field(min_length=1)
    date_created: str | None = None
    body: str = ""
    from_: str | None = Field(None, alias="from")
    messaging_service_sid: str | None = None


class _MessagePage(BaseModel):
    """One page of `GET .../Messages.json`."""

    messages: list[_Message]
    next_page_uri: str | None = None


class TwilioOptions(BaseModel):
    """Options of a Twilio sync: sender and body template (`{field}` placeholders)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    messaging_service_sid: str | None = Field(None, pattern=r"^MG[0-9a-fA-F]{32}$")
    from_number: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$")
    body: str = Field(min_length=1, max_length=1600)

    @model_validator(mode="after")
    def _one_sender(self) -> TwilioOptions:
        if (self.messaging_service_sid is None) == (self.from_number is None):
            raise ValueError("set exactly one of messaging_service_sid or from_number")
        return self


def render(template: str, fields: dict) -> str:
    """`template` with `{name}` replaced by field values (missing or null -> empty)."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{n: "" if fields.get(n) is None else fields[n] for n in names})


class TwilioDestination(MessageDestination):
    """Twilio SMS per event; upsert only, no updates (a sent message is final)."""

    name = "twilio"
    Options = TwilioOptions
    channels = frozenset({"sms"})
    identifier_keys = frozenset({"to"})
    channel_identifier: ClassVar[dict[str, str]] = {"sms": "to"}
    can_look_up = True
    upsert_batch_size = 10
    default_base_url = "https://api.twilio.com"
    # A 10DLC/long-code sender is queued at 1 message/s; the API accepts bursts into the queue.
    limits: ClassVar[dict[str, RateLimit]] = {
        "messages": RateLimit(10.0, 10),
        "message_list": RateLimit(10.0, 10),
    }

    @classmethod
    def check_sync(cls, sync) -> list[tuple[str, str]]:
        problems = super().check_sync(sync)
        names = {n for _, n, _, _ in string.Formatter().parse(sync.options.body) if n}
        if names - set(sync.fields):
            problems.append(("body", f"placeholders among fields {sorted(sync.fields)}"))
        return problems

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(api_key.encode()).decode()}

    @property
    def _messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.options.account_sid}/Messages.json"

    def recipient(self, record: Record) -> str:
        return str(record.identifiers["to"])

    def send(self, record: Record) -> str:
        sender = (
            {"MessagingServiceSid": self.options.messaging_service_sid}
            if self.options.messaging_service_sid
            else {"From": self.options.from_number}
        )
        form = {"To": self.recipient(record), "Body": render(self.options.body, record.fields)}
        message = self.client.request_json(
            "POST",
            self._messages_path,
            model=_Message,
            limit="messages",
            form={**form, **sender},
            resend_unconfirmed=False,
            token_taken=True,
        )
        return message.sid

    def is_opt_out(self, exc: RequestRejectedError) -> bool:
        """Twilio error 21610: the recipient replied STOP (unsubscribed)."""
        try:
            return json.loads(exc.body).get("code") == OPTED_OUT_CODE
        except (ValueError, AttributeError):
            return False

    def look_up(self, record: Record, entry: LedgerEntry) -> str | None:
        """Page through the messages to the recipient (newest first) for one created since the
        attempt (minus clock skew) with this body and sender, not claimed by another message.

        No `DateSent` filter: a message still queued has no date sent yet.
        """
        since = entry.attempted_at - LOOKUP_CLOCK_SKEW
        body = render(self.options.body, record.fields)
        path: str | None = self._messages_path
        params: dict[str, Any] = {"To": self.recipient(record), "PageSize": LOOKUP_PAGE_SIZE}
        while path:
            page = self.client.request_json(
                "GET", path, model=_MessagePage, limit="message_list", params=params
            )
            for message in page.messages:
                if self._matches(message, body, since) and not self.ledger.claimed(message.sid):
                    return message.sid
            path, params = _split_uri(page.next_page_uri)
        return None

    def _matches(self, message: _Message, body: str, since: datetime) -> bool:
        if self.options.messaging_service_sid:
            same_sender = message.messaging_service_sid == self.options.messaging_service_sid
        else:
            same_sender = message.from_ == self.options.from_number
        if not (same_sender and message.body.startswith(body) and message.date_created):
            return False
        created = parsedate_to_datetime(message.date_created).astimezone(UTC)
        return created.replace(tzinfo=None) >= since


def _split_uri(uri: str | None) -> tuple[str | None, dict[str, str]]:
    """(path, query params) of a Twilio `next_page_uri` (None when there is no next page)."""
    if not uri:
        return None, {}
    parts = urlsplit(uri)
    return parts.path, dict(parse_qsl(parts.query))
