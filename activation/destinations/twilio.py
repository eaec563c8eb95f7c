"""Twilio Programmable Messaging: one SMS per audience event (triggered journeys).

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form encoded), authenticated with an API
key `SK...:secret` in TWILIO_API_KEY. Each event (record key) is messaged once: the engine never
re-sends a confirmed event, and every send carries the event key as idempotency key so a send
retried after a crash is not delivered twice by an endpoint that honours it.
"""

from __future__ import annotations

import base64
import string
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.errors import RequestRejectedError
from activation.ratelimit import RateLimit


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


class TwilioDestination(HttpDestination):
    """Twilio SMS per event; upsert only, no updates (a sent message is final)."""

    name = "twilio"
    Options = TwilioOptions
    channels = frozenset({"sms"})
    identifier_keys = frozenset({"to"})
    channel_identifier: ClassVar[dict[str, str]] = {"sms": "to"}
    supports_mirror = False
    send_once = True
    upsert_batch_size = 10
    default_base_url = "https://api.twilio.com"
    # A 10DLC/long-code sender is queued at 1 message/s; the API accepts bursts into the queue.
    limits: ClassVar[dict[str, RateLimit]] = {"messages": RateLimit(10.0, 10)}

    @classmethod
    def check_sync(cls, sync) -> list[tuple[str, str]]:
        problems = super().check_sync(sync)
        names = {n for _, n, _, _ in string.Formatter().parse(sync.options.body) if n}
        if names - set(sync.fields):
            problems.append(("body", f"placeholders among fields {sorted(sync.fields)}"))
        return problems

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(api_key.encode()).decode()}

    def upsert(self, records: list[Record]) -> RowFailures:
        failures: RowFailures = {}
        sender = (
            {"MessagingServiceSid": self.options.messaging_service_sid}
            if self.options.messaging_service_sid
            else {"From": self.options.from_number}
        )
        for record in records:
            form = {
                "To": str(record.identifiers["to"]),
                "Body": render(self.options.body, record.fields),
                **sender,
            }
            try:
                self.client.request(
                    "POST",
                    f"/2010-04-01/Accounts/{self.options.account_sid}/Messages.json",
                    limit="messages",
                    form=form,
                    idempotency_key=f"{self.sync.name}:{record.key}",
                )
            except RequestRejectedError as exc:
                failures[record.key] = exc.body or str(exc)
        return failures
