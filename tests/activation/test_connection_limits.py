"""Mailchimp limits simultaneous connections (10), not requests per second."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import requests

from activation.emulators import DEFAULT_LIST_ID, running_emulators
from activation.ratelimit import RateLimit, TokenBucket


def test_a_connection_limit_never_makes_the_client_wait() -> None:
    slept: list[float] = []
    bucket = TokenBucket(RateLimit.connections(10), clock=time.monotonic, sleep=slept.append)
    for _ in range(500):
        bucket.acquire()
    assert slept == []
    bucket.pause(0.01)  # after a 429 with Retry-After everyone still waits
    bucket._sleep = time.sleep
    assert bucket.acquire() > 0


def _stalled_request(url: str, api_key: str) -> socket.socket:
    """A PUT whose body never arrives: the connection stays open at the emulator."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        f"PUT {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def test_the_mailchimp_emulator_refuses_the_eleventh_simultaneous_connection() -> None:
    with running_emulators() as emus:
        base = emus.env["MAILCHIMP_BASE_URL"]
        key = emus.env["MAILCHIMP_API_KEY"]
        auth = ("retention", key)
        members = f"{base}/lists/{DEFAULT_LIST_ID}/members"
        held = [_stalled_request(f"{members}/abc{i}", key) for i in range(10)]
        try:
            deadline = time.monotonic() + 5
            while emus.mailchimp._open["api"] < 10 and time.monotonic() < deadline:
                time.sleep(0.01)
            refused = requests.get(members, auth=auth, timeout=10)
            assert refused.status_code == 429
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 5
        while emus.mailchimp._open["api"] and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(50):  # no per-second quota: 50 requests in a row all answer
            assert requests.get(members, auth=auth, timeout=10).status_code == 200
