"""Errors of the activation engine: config mistakes a user fixes, and destination API errors."""

from __future__ import annotations

from retention.core.errors import UserError


class SyncConfigError(UserError):
    """A sync declaration or its audience table is wrong; the message says where and what to do."""


class DestinationError(Exception):
    """A destination API call failed; holds status, vendor error text and request id.

    Messages carry the vendor, method, path (no query string) and the vendor's error text with
    secrets redacted; headers are never included.
    """

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
    """HTTP 5xx: transient vendor failure, retried."""


class ConnectionFailedError(DestinationError):
    """The vendor could not be reached (connection refused, timeout); retried.

    `maybe_sent`: the request may have reached the vendor before the connection failed.
    """

    def __init__(self, message: str, *, vendor: str, maybe_sent: bool = False) -> None:
        super().__init__(message, vendor=vendor)
        self.maybe_sent = maybe_sent


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
