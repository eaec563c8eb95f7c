"""Retry decision, backoff and token bucket (pure functions, no network)."""

from __future__ import annotations

from activation.errors import (
    AuthError,
    ConnectionFailedError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
)
from activation.http import retry_wait, should_retry
from activation.ratelimit import RateLimit, TokenBucket


def test_should_retry_only_transient_errors():
    assert should_retry(RateLimitedError("x", vendor="v", status=429))
    assert should_retry(ServerError("x", vendor="v", status=503))
    assert should_retry(ConnectionFailedError("x", vendor="v"))
    assert not should_retry(RequestRejectedError("x", vendor="v", status=400))
    assert not should_retry(AuthError("x", vendor="v", status=401))
    assert not should_retry(ValueError("bug"))


def test_retry_after_is_honoured_and_backoff_grows_with_jitter():
    limited = RateLimitedError("x", vendor="v", status=429, retry_after=7)
    assert retry_wait(1, limited, lambda: 0.5) == 7
    server = ServerError("x", vendor="v", status=503)
    assert retry_wait(1, server, lambda: 0.0) == 0.125
    assert retry_wait(3, server, lambda: 1.0) == 1.0
    assert retry_wait(30, server, lambda: 1.0) == 30.0


def test_token_bucket_bursts_then_paces():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(RateLimit(per_second=2.0, burst=3), clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        assert bucket.acquire() == 0
    assert bucket.acquire() == 0.5
    bucket.pause(4.0)
    assert bucket.acquire() >= 4.0
