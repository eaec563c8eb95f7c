"""WhatsApp Cloud API: one approved template message per audience event.

`POST /{version}/{phone_number_id}/messages` with a Bearer token. `target` is the template
name; `body_parameters` lists the fields filling the template's {{1}}, {{2}}... in order.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.errors import RequestRejectedError
from activation.ratelimit import RateLimit


class WhatsappOptions(BaseModel):
    """Options of a WhatsApp sync."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phone_number_id: str = Field(pattern=r"^\d{5,20}$")
    language: str = Field("en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    api_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    body_parameters: list[str] = Field(default_factory=list)


class WhatsappDestination(HttpDestination):
    """WhatsApp template messages per event; upsert only, never re-sent."""

    name = "whatsapp"
    Options = WhatsappOptions
    channels = frozenset({"whatsapp"})
    identifier_keys = frozenset({"to"})
    channel_identifier: ClassVar[dict[str, str]] = {"whatsapp": "to"}
    supports_mirror = False
    send_once = True
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

    def upsert(self, records: list[Record]) -> RowFailures:
        failures: RowFailures = {}
        path = f"/{self.options.api_version}/{self.options.phone_number_id}/messages"
        for record in records:
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
                "to": str(record.identifiers["to"]).lstrip("+"),
                "type": "template",
                "template": template,
                "biz_opaque_callback_data": f"{self.sync.name}:{record.key}",
            }
            try:
                self.client.request(
                    "POST",
                    path,
                    limit="messages",
                    json_body=body,
                    idempotency_key=f"{self.sync.name}:{record.key}",
                )
            except RequestRejectedError as exc:
                failures[record.key] = exc.body or str(exc)
        return failures
