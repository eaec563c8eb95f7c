"""WhatsApp Cloud API: one approved template message per audience event.

`POST /{version}/{phone_number_id}/messages` with a Bearer token. `target` is the template
name; `body_parameters` lists the fields filling the template's {{1}}, {{2}}... in order.

Delivery is at-most-once, never exactly-once: the Cloud API has no endpoint to look a sent
message up and documents no idempotency key, so a message whose outcome is unknown (the process
died between the request and recording the answer, the connection dropped after sending, a 5xx,
or a 200 whose body cannot be read) is never resent; it is held back: reported once as a row
error, counted in the run's `held_back`, and kept as `unknown` in `activation.sync_messages`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import Record
from activation.destinations.messages import MessageDestination
from activation.ratelimit import RateLimit


class _MessageId(BaseModel):
    id: str = Field(min_length=1)


class _Sent(BaseModel):
    """The answer to a send: `{"messages": [{"id": "wamid..."}], ...}`."""

    messages: list[_MessageId] = Field(min_length=1)


class WhatsappOptions(BaseModel):
    """Options of a WhatsApp sync."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phone_number_id: str = Field(pattern=r"^\d{5,20}$")
    language: str = Field("en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    api_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    body_parameters: list[str] = Field(default_factory=list)


class WhatsappDestination(MessageDestination):
    """WhatsApp template messages per event; upsert only, never re-sent."""

    name = "whatsapp"
    Options = WhatsappOptions
    channels = frozenset({"whatsapp"})
    identifier_keys = frozenset({"to"})
    channel_identifier: ClassVar[dict[str, str]] = {"whatsapp": "to"}
    upsert_batch_size = 20
    default_base_url = "https://graph.facebook.com"
    # Cloud API default throughput: 80 messages per second per business phone number
    limits: ClassVar[dict[str, RateLimit]] = {"messages": RateLimit(80.0, 80)}

    @classmethod
    def check_sync(cls, sync) -> list[tuple[str, str]]:
        problems = super().check_sync(sync)
        missing = set(sync.options.body_parameters) - set(sync.fields)
        if missing:
            problems.append(("body_parameters", f"names among fields {sorted(sync.fields)}"))
        return problems

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def recipient(self, record: Record) -> str:
        return str(record.identifiers["to"]).lstrip("+")

    def send(self, record: Record) -> str:
        template: dict = {"name": self.sync.target, "language": {"code": self.options.language}}
        if self.options.body_parameters:
            template["components"] = [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": str(record.fields.get(name) or "")}
                        for name in self.options.body_parameters
                    ],
                }
            ]
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": self.recipient(record),
            "type": "template",
            "template": template,
            "biz_opaque_callback_data": f"{self.sync.name}:{record.key}",
        }
        sent = self.client.request_json(
            "POST",
            f"/{self.options.api_version}/{self.options.phone_number_id}/messages",
            model=_Sent,
            limit="messages",
            json_body=body,
            resend_unconfirmed=False,
            token_taken=True,
        )
        return sent.messages[0].id
