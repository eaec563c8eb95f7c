"""What every vendor emulator shares: auth check, rate limits with 429 + Retry-After, fault
injection, idempotent replay, a request log, and thread-safe state."""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from activation.ratelimit import RateLimit

Handler = Callable[["Call"], tuple[int, Any]]


@dataclass
class FaultOptions:
    """Configurable misbehaviour shared by all emulators."""

    fault_rate: float = 0.0  # share of requests answered 429 or 503 before processing
    retry_after_s: float = 1.0  # Retry-After on injected and rate-limit 429s (minimum)
    rate_scale: float = 1.0  # multiplies each vendor's documented rate limits
    seed: int = 0


@dataclass
class LoggedRequest:
    """One request as the emulator saw it (the Authorization header is never kept)."""

    vendor: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes
    status: int = 0
    at: float = field(default_factory=time.time)

    @property
    def is_write(self) -> bool:
        """True for any method other than GET."""
        return self.method != "GET"


@dataclass
class Call:
    """What a handler gets: the logged request plus path parameters."""

    request: LoggedRequest
    params: dict[str, str]
    headers: dict[str, str]


class _Bucket:
    """Non-blocking token bucket: how long until a token is free."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = time.monotonic()

    def take(self) -> float:
        if self.limit.per_second is None:  # a connection limit: see VendorEmulator.route
            return 0.0
        now = time.monotonic()
        self.tokens = min(
            self.limit.burst, self.tokens + (now - self.updated) * self.limit.per_second
        )
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.limit.per_second


class VendorEmulator:
    """Base class: subclasses declare `vendor`, `limits`, `prefix`, routes and error shapes."""

    vendor: ClassVar[str]
    prefix: ClassVar[str]  # mount path, e.g. "/klaviyo"; the base URL is server + prefix
    limits: ClassVar[dict[str, RateLimit]]
    idempotent_writes: ClassVar[bool] = False  # replay answers for a repeated Idempotency-Key
    # what a real account keeps between sessions (lists, members, opt-outs...): saved with the
    # warehouse (as JSON) by `running_emulators(state_file=...)`; the next session starts from it
    persistent: ClassVar[tuple[str, ...]] = ()

    def __init__(self, faults: FaultOptions, api_key: str) -> None:
        self.faults = faults
        self.api_key = api_key
        self.lock = threading.RLock()
        self.requests: list[LoggedRequest] = []
        self._rng = random.Random(f"{faults.seed}:{self.vendor}")
        self._buckets = {k: _Bucket(v.scaled(faults.rate_scale)) for k, v in self.limits.items()}
        self._replies: dict[str, tuple[int, Any]] = {}
        self._open: dict[str, int] = dict.fromkeys(self.limits, 0)  # requests in progress
        self._hooks: list[Callable[[LoggedRequest], None]] = []
        self._lost_answers: dict[tuple[str, str], list[int]] = {}  # (method, path) -> statuses

    # --- to override ---------------------------------------------------------------------
    def authorized(self, headers: dict[str, str]) -> bool:
        """Whether the request carries this emulator's credentials."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> Any:
        """The vendor's error body for `status`."""
        return {"error": message}

    def routes(self) -> list[Route]:
        """The vendor's endpoints, built with `self.route`."""
        raise NotImplementedError

    def account_state(self) -> dict[str, Any]:
        """The `persistent` attributes, to save as JSON (plain data: no shared references)."""
        with self.lock:
            return {name: getattr(self, name) for name in self.persistent}

    def restore_account(self, saved: dict[str, Any]) -> None:
        """Put back what `account_state` saved (attributes this emulator no longer keeps are
        ignored; ones it did not save keep their fresh value)."""
        with self.lock:
            for name in self.persistent:
                if name in saved:
                    setattr(self, name, saved[name])

    # --- shared machinery ----------------------------------------------------------------
    @property
    def write_requests(self) -> list[LoggedRequest]:
        """Logged non-GET requests."""
        with self.lock:
            return [r for r in self.requests if r.is_write]

    def on_request(self, hook: Callable[[LoggedRequest], None]) -> None:
        """Run `hook` (under the state lock) before every accepted request is processed.

        Tests use it to model what people do at the vendor while a sync runs, e.g. someone
        unsubscribing between two batches.
        """
        with self.lock:
            self._hooks.append(hook)

    def lose_answer(self, method: str, path: str, status: int = 504, times: int = 1) -> None:
        """Process the next `times` `method path` requests, then answer `status` instead.

        Models a gateway timeout or 5xx after the vendor acted: the client cannot tell whether
        its request took effect.
        """
        with self.lock:
            self._lost_answers.setdefault((method, path), []).extend([status] * times)

    def clear_log(self) -> None:
        """Forget logged requests (state is kept)."""
        with self.lock:
            self.requests.clear()

    def route(self, path: str, method: str, limit: str, handler: Handler) -> Route:
        """A starlette route running `handler` behind auth, faults, rate limit and logging."""

        async def endpoint(request: Request) -> Response:
            if not self._connect(limit):
                body = self.error(429, "Too many simultaneous connections.")
                return Response(json.dumps(body), status_code=429, media_type=self.media_type)
            try:
                return await handle(request)
            finally:
                with self.lock:
                    self._open[limit] -= 1

        async def handle(request: Request) -> Response:
            raw = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            logged = LoggedRequest(
                vendor=self.vendor,
                method=request.method,
                path=request.url.path.removeprefix(self.prefix),
                query=dict(request.query_params),
                headers={k: v for k, v in headers.items() if k != "authorization"},
                body=_parse(raw, headers.get("content-type", "")),
                raw=raw,
            )
            status, body, extra = self._dispatch(
                logged, dict(request.path_params), headers, limit, handler
            )
            logged.status = status
            with self.lock:
                self.requests.append(logged)
            if body is None:
                return Response(status_code=status, headers=extra)
            return Response(
                json.dumps(body),
                status_code=status,
                headers=extra,
                media_type=self.media_type,
            )

        return Route(path, endpoint, methods=[method])

    media_type: ClassVar[str] = "application/json"

    def _connect(self, limit: str) -> bool:
        """Count one more open request under `limit`; False past a connection limit (429)."""
        with self.lock:
            bucket = self._buckets[limit].limit
            if bucket.per_second is None and self._open[limit] >= bucket.burst:
                return False
            self._open[limit] += 1
            return True

    def _retry_after(self, seconds: float) -> dict[str, str]:
        value = max(seconds, self.faults.retry_after_s)
        text = str(math.ceil(value)) if value >= 1 else f"{value:.3f}"
        return {"Retry-After": text}

    def _dispatch(self, logged, params, headers, limit, handler):
        with self.lock:
            if not self.authorized(headers):
                return 401, self.error(401, "Missing or invalid API credentials."), {}
            roll = self._rng.random()
            if roll < self.faults.fault_rate / 2:
                return 429, self.error(429, "Too many requests."), self._retry_after(0)
            if roll < self.faults.fault_rate:
                return 503, self.error(503, "Service temporarily unavailable."), {}
            wait = self._buckets[limit].take()
            if wait > 0:
                return 429, self.error(429, "Rate limit exceeded."), self._retry_after(wait)
            for hook in self._hooks:
                hook(logged)
            key = headers.get("idempotency-key")
            if self.idempotent_writes and key and key in self._replies:
                status, body = self._replies[key]
                return status, body, {"Idempotent-Replayed": "true"}
            try:
                status, body = handler(Call(logged, params, headers))
            except _Reject as exc:
                status, body = exc.status, self.error(exc.status, exc.message)
            if self.idempotent_writes and key and status < 500:
                self._replies[key] = (status, body)
            lost = self._lost_answers.get((logged.method, logged.path))
            if lost and status < 400:
                status = lost.pop(0)
                return status, self.error(status, "Gateway timeout."), {}
            return status, body, {}


class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reject(status: int, message: str) -> _Reject:
    """An exception handlers raise to answer with the vendor's error body."""
    return _Reject(status, message)


def _parse(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            return None
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode()))
    return None


EMAIL_OK = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
E164_OK = re.compile(r"^\+[1-9]\d{6,14}$")
