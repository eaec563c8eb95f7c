"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the emulators (tests and soaks).

It forwards every request to the emulator server, so the vendor processes it, and then, for a
seeded random share of the requests it is told to disturb, spoils the answer the way networks
and vendor front ends do:

- `accept_then_502`: the vendor accepted the request, the client gets `502 Bad Gateway`;
- `accept_then_reset`: the vendor accepted the request, the client's connection is reset
  before any answer;
- `malformed_200`: a 2xx answer arrives with a body cut short (not JSON);
- `missing_fields`: a 2xx answer arrives as a JSON object without the documented fields.

Twilio documents that a send answered 5xx may have been delivered; nothing documents that
these faults happen only before processing, so the proxy injects them after it.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

FAULTS = ("accept_then_502", "accept_then_reset", "malformed_200", "missing_fields")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
_KEPT_HEADERS = ("Content-Type", "Retry-After", "X-Request-Id")

Selector = Callable[[str, str], bool]
"""(method, path) -> whether the proxy may disturb that request."""


@dataclass
class FaultPlan:
    """Which faults at which rates (share of selected requests, summing to at most 1)."""

    rates: dict[str, float]
    selects: Selector = lambda method, path: True
    seed: int = 0
    injected: Counter = field(default_factory=Counter)  # fault -> times injected

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULTS)
        if unknown or sum(self.rates.values()) > 1:
            raise ValueError(f"fault rates {self.rates}: names among {FAULTS}, sum at most 1")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, method: str, path: str) -> str | None:
        """The fault for this request, or None to pass it through unchanged."""
        if not self.selects(method, path):
            return None
        with self._lock:
            roll = self._rng.random()
            for fault, rate in self.rates.items():
                if roll < rate:
                    self.injected[fault] += 1
                    return fault
                roll -= rate
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        fault = self.server.plan.draw(self.command, self.path.split("?", 1)[0])
        upstream = self.server.session().request(
            self.command, self.server.upstream + self.path, data=body, headers=headers, timeout=60
        )
        status, content = upstream.status_code, upstream.content
        if fault == "accept_then_reset":
            self._reset()
            return
        if fault == "accept_then_502":
            status, content = 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        elif fault == "malformed_200" and 200 <= status < 300:
            content = content[: max(1, len(content) // 2)]
        elif fault == "missing_fields" and 200 <= status < 300:
            content = b'{"unexpected": true}'
        kept = {n: upstream.headers[n] for n in _KEPT_HEADERS if n in upstream.headers}
        if fault == "accept_then_502":
            kept = {"Content-Type": "text/html"}
        self.send_response(status)
        for name, value in kept.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _reset(self) -> None:
        """Close the client connection with a TCP reset (SO_LINGER 0), sending no answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, plan: FaultPlan) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")
        self.plan = plan
        self._local = threading.local()

    def session(self) -> requests.Session:
        """The calling thread's session to the emulators."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session


@dataclass
class FaultProxy:
    """A running proxy: its base URL, and the plan it applies (assign a new one at any time)."""

    url: str
    _server: _ProxyServer

    @property
    def plan(self) -> FaultPlan:
        """The faults applied to the next requests."""
        return self._server.plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        self._server.plan = plan


@contextmanager
def fault_proxy(upstream: str, plan: FaultPlan | None = None) -> Iterator[FaultProxy]:
    """Serve the proxy in front of `upstream` (e.g. `Emulators.url`); no faults by default."""
    server = _ProxyServer(upstream, plan or FaultPlan({}))
    thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
    thread.start()
    try:
        yield FaultProxy(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def proxied_env(env: dict[str, str], emulators_url: str, proxy_url: str, vendors: set[str]) -> dict:
    """`env` (an `Emulators.env`) with the base URLs of `vendors` pointed through the proxy."""
    out = dict(env)
    for vendor in vendors:
        key = f"{vendor.upper()}_BASE_URL"
        out[key] = env[key].replace(emulators_url, proxy_url, 1)
    return out
