"""Destination URLs: refuse plain http to other hosts, split off a base URL's query, and redact
secrets URLs carry.

Secrets reach URLs as userinfo (`https://user:token@host/`) or query parameters
(`?token=...`, `?api_key=...`); both are replaced by `***` wherever a URL may end up in an
error message, `activation.sync_runs.message` or `activation.sync_row_errors`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from activation.errors import SyncConfigError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[a-z0-9_.-]*(?:token|key|secret|password|passwd|pwd|auth|signature|sig|"
    r"credential|session)[a-z0-9_.-]*)=)[^&;#\s\"']+"
)


def redact_url_secrets(text: str) -> str:
    """`text` with URL userinfo and secret-looking query parameter values replaced by `***`."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", text))


def url_secrets(url: str) -> tuple[str, ...]:
    """Literal secrets inside `url` (user, password, query values) to redact elsewhere too."""
    parts = urlsplit(url)
    found = [parts.username or "", parts.password or ""]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= 6]
    return tuple(s for s in found if s)


def split_base_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    """(`url` without query, fragment or trailing slash; its query parameters), so a base URL
    like `https://host/api?x=1` keeps its path and sends `x=1` with every request."""
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return base, parse_qsl(parts.query, keep_blank_values=True)


def check_base_url(sync_name: str, variable: str, url: str) -> None:
    """SyncConfigError unless `url` is https, or http to this machine (emulators, tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS):
        return
    shown = f"{parts.scheme}://{host}" if host else redact_url_secrets(url)
    raise SyncConfigError(
        f"sync '{sync_name}': {variable} is {shown}, which is not https; plain http is only "
        f"allowed to localhost (API keys and personal data would travel unencrypted); "
        f"use an https:// URL"
    )
