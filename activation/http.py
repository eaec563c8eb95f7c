"""The one HTTP client every destination uses: rate limiting, retries, logging, error mapping.

Retry policy lives in `should_retry` and `retry_wait`; jitter is an injectable function so tests
can pin it. Vendor JSON is read in one place, `parse_json` (`HttpClient.request_json`): a 2xx
body that is not the documented JSON becomes a MalformedResponseError. Logs method, path and
status at INFO, bodies only at DEBUG, never headers or query strings (which may hold emails);
error messages have every secret redacted.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

import requests
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from urllib3.exceptions import NewConnectionError

from activation.errors import (
    ConnectionFailedError,
    DestinationError,
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    error_class_for_status,
)
from activation.ratelimit import RateLimit, TokenBucket
from activation.urls import redact_url_secrets, split_base_url

log = logging.getLogger("activation.http")

MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0
M = TypeVar("M", bound=BaseModel)


def should_retry(exc: BaseException, *, resend_unconfirmed: bool = True) -> bool:
    """Retry 429, 5xx and connection failures; never other 4xx or programming errors.

    With `resend_unconfirmed=False` (message sends) a request the vendor may have processed
    (any 5xx, a read timeout, a connection dropped after sending) is not retried: the caller
    must find out whether it was accepted before sending it again. A 429 is retried: the vendor
    refused it before processing.
    """
    if not resend_unconfirmed and getattr(exc, "outcome_unknown", False):
        return False
    return isinstance(exc, RateLimitedError | ServerError | ConnectionFailedError)


def retry_wait(attempt: int, exc: BaseException | None, jitter: Callable[[], float]) -> float:
    """Seconds to wait before retry `attempt` (1-based): Retry-After if given, else backoff.

    Backoff is exponential (0.25 s doubling, capped at 30 s) with "equal jitter": half fixed,
    half random, so concurrent clients spread out.
    """
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(MAX_RETRY_AFTER_S, max(0.0, retry_after))
    base = min(MAX_BACKOFF_S, 0.25 * 2 ** (attempt - 1))
    return base / 2 + base / 2 * jitter()


def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether a failed request may have reached the server (no answer, but maybe processed)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)


def _problems(exc: ValidationError) -> str:
    """The first problems of a reply that does not match its model (`sid: field required`);
    field names only, never the values (they may hold personal data)."""
    found = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        found.append(f"{where}: {error['msg'].lower()}")
    return "; ".join(found)


@overload
def parse_json(
    response: requests.Response, *, vendor: str, method: str, path: str, model: None = None
) -> dict[str, Any]: ...


@overload
def parse_json(
    response: requests.Response, *, vendor: str, method: str, path: str, model: type[M]
) -> M: ...


def parse_json(
    response: requests.Response,
    *,
    vendor: str,
    method: str,
    path: str,
    model: type[M] | None = None,
) -> dict[str, Any] | M:
    """The JSON object of a 2xx `response` (an empty body is `{}`), validated against `model`
    if given; MalformedResponseError naming vendor, method, path and what was wrong otherwise.
    """

    def malformed(what: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"{vendor}: {method} {path} answered HTTP {response.status_code} with {what}; the "
            f"request was accepted but its answer cannot be read (check {vendor}'s status page "
            "or any proxy in between, then rerun)",
            vendor=vendor,
            status=response.status_code,
            request_id=response.headers.get("X-Request-Id"),
        )

    if not response.content and model is None:
        return {}
    try:
        data = response.json()
    except ValueError as exc:
        raise malformed(f"a body that is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise malformed(f"a JSON {type(data).__name__} instead of an object")
    if model is None:
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise malformed(f"JSON not as documented ({_problems(exc)})") from None


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class HttpClient:
    """Talks to one vendor: base URL, auth headers, per-endpoint token buckets, retries.

    Safe to use from several threads: the token buckets and counters are shared and locked.
    """

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        auth_headers: Mapping[str, str],
        limits: Mapping[str, RateLimit],
        secrets: tuple[str, ...] = (),
        max_attempts: int = 8,
        timeout_s: float = 60.0,
        jitter: Callable[[], float] = random.random,
        session: requests.Session | None = None,
    ) -> None:
        """`session`, if given, is shared by every thread (it must be thread-safe); by default
        each thread sending through this client gets its own `requests.Session`."""
        self.vendor = vendor
        self.base_url, self._base_params = split_base_url(base_url)
        self._auth_headers = dict(auth_headers)
        self._buckets = {name: TokenBucket(limit) for name, limit in limits.items()}
        self._secrets = tuple(s for s in secrets if s)
        self._max_attempts = max_attempts
        self._timeout_s = timeout_s
        self._jitter = jitter
        self._shared_session = session
        self._local = threading.local()
        self._lock = threading.Lock()
        self.write_requests = 0
        self.read_requests = 0

    def _session(self) -> requests.Session:
        """The session for the calling thread (connection pools are not shared across threads)."""
        if self._shared_session is not None:
            return self._shared_session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def redact(self, text: str) -> str:
        """`text` with every secret this client knows, and URL userinfo and secret query
        parameters, replaced by `***`."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_url_secrets(text)

    def request(
        self,
        method: str,
        path: str,
        *,
        limit: str,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        resend_unconfirmed: bool = True,
        token_taken: bool = False,
        attempts: int | None = None,
    ) -> requests.Response:
        """Send one request under bucket `limit`, retrying 429/5xx; raise DestinationError.

        `resend_unconfirmed=False`: never retry a request that may have been processed without
        an answer (see `should_retry`); its error then has `maybe_sent` set.
        `token_taken`: the caller already waited for this request's token (`acquire`), so the
        first attempt goes out at once.
        `attempts`: at most this many attempts instead of the client's (1: the caller retries).
        """
        first = [token_taken]

        def attempt() -> requests.Response:
            skip_bucket, first[0] = first[0], False
            return self._send_once(
                method, path, limit, data, form, params, extra, take_token=not skip_bucket
            )

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return retry_wait(state.attempt_number, exc, self._jitter)

        retrying = Retrying(
            stop=stop_after_attempt(attempts or self._max_attempts),
            wait=wait,
            retry=retry_if_exception(
                lambda exc: should_retry(exc, resend_unconfirmed=resend_unconfirmed)
            ),
            reraise=True,
        )
        extra = dict(headers or {})
        if idempotency_key:
            extra["Idempotency-Key"] = idempotency_key
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            extra.setdefault("Content-Type", "application/json")
        return retrying(attempt)

    @overload
    def request_json(
        self, method: str, path: str, *, model: None = None, **kwargs: Any
    ) -> dict[str, Any]: ...

    @overload
    def request_json(self, method: str, path: str, *, model: type[M], **kwargs: Any) -> M: ...

    def request_json(
        self, method: str, path: str, *, model: type[M] | None = None, **kwargs: Any
    ) -> dict[str, Any] | M:
        """`request`, then its JSON answer read by `parse_json` (validated against `model`)."""
        response = self.request(method, path, **kwargs)
        return parse_json(response, vendor=self.vendor, method=method, path=path, model=model)

    def acquire(self, limit: str) -> None:
        """Wait for a token of bucket `limit` now (then send with `token_taken=True`)."""
        self._buckets[limit].acquire()

    def _send_once(
        self,
        method: str,
        path: str,
        limit: str,
        data: bytes | None,
        form: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        *,
        take_token: bool = True,
    ) -> requests.Response:
        bucket = self._buckets[limit]
        if take_token:
            bucket.acquire()
        url = self.base_url + path
        shown = self.redact(url)  # for logs: the base URL may carry a token
        with self._lock:
            if method.upper() == "GET":
                self.read_requests += 1
            else:
                self.write_requests += 1
        if data is not None and log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s body: %s", method, shown, self.redact(data[:2000].decode(errors="replace"))
            )
        query = [*self._base_params, *(params or {}).items()]
        try:
            response = self._session().request(
                method,
                url,
                data=form if form is not None else data,
                params=query or None,
                headers={**self._auth_headers, **headers},
                timeout=self._timeout_s,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.info("%s %s -> connection failed", method, shown)
            raise ConnectionFailedError(
                self.redact(
                    f"{self.vendor}: {method} {path} could not reach {self.base_url} "
                    f"({type(exc).__name__})"
                ),
                vendor=self.vendor,
                maybe_sent=_maybe_sent(exc),
            ) from None
        log.info("%s %s -> %s", method, shown, response.status_code)
        if response.status_code < 400:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s response: %s", method, shown, self.redact(response.text[:2000]))
            return response
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        if response.status_code == 429 and retry_after is not None:
            bucket.pause(retry_after)
        body = self.redact(response.text[:1000])
        raise error_class_for_status(response.status_code)(
            self.redact(
                f"{self.vendor}: {method} {path} failed with HTTP {response.status_code}: {body}"
            ),
            vendor=self.vendor,
            status=response.status_code,
            body=body,
            request_id=response.headers.get("X-Request-Id"),
            retry_after=retry_after,
        )


__all__ = [
    "DestinationError",
    "HttpClient",
    "parse_json",
    "retry_wait",
    "should_retry",
]
