"""Webhook receiver emulator: verifies the timestamped HMAC signature (rejecting stale
timestamps), drops replayed Idempotency-Keys, applies batches."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.routing import Route

from activation.destinations.webhook import SIGNATURE_HEADER, verify
from activation.emulators.common import Call, VendorEmulator, reject
from activation.ratelimit import RateLimit


class WebhookEmulator(VendorEmulator):
    """Receives `POST /{path}`; the API key is the shared signing secret."""

    vendor = "webhook"
    prefix = "/webhook"
    idempotent_writes = True
    limits: ClassVar[dict[str, RateLimit]] = {"post": RateLimit(10.0, 10)}

    persistent = ("members", "deliveries")

    def __init__(self, faults, api_key: str) -> None:
        super().__init__(faults, api_key)
        self.members: dict[str, dict[str, dict]] = {}
        self.deliveries = 0

    def authorized(self, headers: dict[str, str]) -> bool:
        return True  # checked per request against the body signature

    def error(self, status: int, message: str) -> Any:
        return {"error": message}

    def routes(self) -> list[Route]:
        return [self.route("/{path:path}", "POST", "post", self._receive)]

    def received(self, path: str) -> dict[str, dict]:
        """Current members (key -> record) delivered to `path`."""
        with self.lock:
            return dict(self.members.get(path, {}))

    def _receive(self, call: Call) -> tuple[int, Any]:
        problem = verify(
            self.api_key, call.headers.get(SIGNATURE_HEADER.lower(), ""), call.request.raw
        )
        if problem:
            raise reject(401, f"invalid signature: {problem}")
        body = call.request.body or {}
        if body.get("op") not in ("upsert", "remove") or not isinstance(body.get("records"), list):
            raise reject(400, "op must be upsert|remove and records an array")
        members = self.members.setdefault(call.params["path"], {})
        for record in body["records"]:
            if body["op"] == "upsert":
                members[record["key"]] = record
            else:
                members.pop(record["key"], None)
        self.deliveries += 1
        return 200, {"received": len(body["records"])}
