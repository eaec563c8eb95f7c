"""Errors of the activation engine: config mistakes a user fixes, and destination API errors."""

from __future__ import annotations

from retention.core.errors import UserError


class SyncConfigError(UserError):
    """A sync declaration or its audience table is wrong; the message says where and what to do."""


class DestinationError(Exception):
    """A destination API call failed; holds status, vendor error text and request id.

    Messages carry the vendor, method, path (no query string) and the vendor's error text with
    secrets redacted; headers are never included. `outcome_unknown`: the vendor may have
    processed the request although the call failed (a 5xx, a dropped connection after sending,
    an unreadable 2xx answer), so a request that must not be repeated (a message send) is
    neither retried nor treated as refused.
    """

    outcome_unknown: bool = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        body: str = "",
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.status = status
        self.body = body
        self.request_id = request_id
        self.retry_after = retry_after


class RateLimitedError(DestinationError):
    """HTTP 429: the vendor asks us to slow down (Retry-After honoured)."""


class ServerError(DestinationError):
    """HTTP 5xx: transient vendor failure; retried, except for requests that must not be
    repeated: the vendor may have processed the request before failing (Twilio documents that
    retrying a send after a 500 can deliver the message twice)."""

    outcome_unknown = True


class ConnectionFailedError(DestinationError):
    """The vendor could not be reached (connection refused, timeout); retried.

    `maybe_sent`: the request may have reached the vendor before the connection failed.
    """

    def __init__(self, message: str, *, vendor: str, maybe_sent: bool = False) -> None:
        super().__init__(message, vendor=vendor)
        self.maybe_sent = maybe_sent
        self.outcome_unknown = maybe_sent


class MalformedResponseError(DestinationError):
    """The vendor answered 2xx with a body that is not the JSON its API documents (invalid
    JSON, a missing or mistyped field). The request was accepted, its answer cannot be read."""

    outcome_unknown = True


class DeliveryUnknownError(DestinationError):
    """A message send failed in a way that leaves its delivery unknown; sending stops for the
    rest of the run (the message is looked up, or held back, before any resend)."""


class AuthError(DestinationError):
    """HTTP 401/403: credentials missing or wrong; the whole sync stops."""


class RequestRejectedError(DestinationError):
    """Other HTTP 4xx: the vendor rejected this request (payload, limits); not retried."""


def error_class_for_status(status: int) -> type[DestinationError]:
    """Map an HTTP status to the error subclass the retry policy understands."""
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    if status in (401, 403):
        return AuthError
    return RequestRejectedError
