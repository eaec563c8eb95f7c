"""`Destination.fan_out`: requests of one batch really run concurrently, and errors surface."""

from __future__ import annotations

import threading

import pytest

from activation.destinations.base import Destination, Record, RowFailures
from activation.errors import ServerError


class _Parallel(Destination):
    """The smallest destination: only the base-class fan-out is under test."""

    name = "parallel"
    request_concurrency = 3

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def upsert(self, records: list[Record]) -> RowFailures:
        return {}


def test_fan_out_runs_request_concurrency_groups_at_once():
    destination = _Parallel()
    barrier = threading.Barrier(3, timeout=5)  # breaks unless 3 groups are in flight together

    def send(group: int) -> None:
        barrier.wait()
        with destination.lock:
            destination.sent.append(group)

    destination.fan_out(send, list(range(6)))
    assert sorted(destination.sent) == list(range(6))


def test_fan_out_attempts_every_group_then_raises_the_error():
    destination = _Parallel()

    def send(group: int) -> None:
        with destination.lock:
            destination.sent.append(group)
        if group == 1:
            raise ServerError("parallel: HTTP 503", vendor="parallel", status=503)

    with pytest.raises(ServerError, match="503"):
        destination.fan_out(send, list(range(5)))
    assert sorted(destination.sent) == list(range(5))
