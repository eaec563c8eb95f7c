"""Client-side token bucket: keeps each endpoint under the vendor's documented rate."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """A documented limit as a token bucket: `burst` requests at once, `per_second` sustained.

    `per_second=None` is a vendor that documents no request rate, only `burst` simultaneous
    connections (Mailchimp: 10); the client then bounds its concurrency instead of its rate.
    """

    per_second: float | None
    burst: int

    @classmethod
    def connections(cls, simultaneous: int) -> RateLimit:
        """A limit on simultaneous connections only, with no documented request rate."""
        return cls(None, simultaneous)

    def scaled(self, factor: float) -> RateLimit:
        """The same limit multiplied by `factor` (accounts with raised limits, fast tests)."""
        rate = None if self.per_second is None else self.per_second * factor
        return RateLimit(rate, max(1, round(self.burst * factor)))


class TokenBucket:
    """Thread-safe token bucket; `acquire` blocks until a token is free."""

    def __init__(self, limit: RateLimit, clock=time.monotonic, sleep=time.sleep) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(limit.burst)
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        elapsed = now - self._updated
        if self.limit.per_second is None:  # no request rate: only 429 pauses hold callers
            self._tokens = float(self.limit.burst)
        else:
            self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.per_second)
        self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                if now < self._paused_until:
                    delay = self._paused_until - now
                elif self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                else:  # per_second is set: with None the refill always leaves tokens
                    delay = (1 - self._tokens) / (self.limit.per_second or 1.0)
            self._sleep(delay)
            waited += delay

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` (the vendor answered 429 with Retry-After)."""
        with self._lock:
            now = self._clock()
            self._paused_until = max(self._paused_until, now + seconds)
            self._tokens = 0.0
            self._updated = now
