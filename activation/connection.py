"""How one sync reaches its destination: credentials and delivery limits, passed explicitly.

A destination receives a `Connection`, never the process environment. `Connection.from_env`
is the one place that reads the documented variables (`<NAME>_API_KEY`, `<NAME>_BASE_URL`,
`FILE_EXPORT_DIR`, `RETENTION_SYNC_RATE_SCALE`, `RETENTION_SYNC_MAX_ATTEMPTS`), for the CLI
and for Dagster resources that were not given values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from activation.errors import SyncConfigError

RATE_SCALE_ENV = "RETENTION_SYNC_RATE_SCALE"
MAX_ATTEMPTS_ENV = "RETENTION_SYNC_MAX_ATTEMPTS"  # attempts per request (429/5xx retries)
DEFAULT_MAX_ATTEMPTS = 8


def api_key_env(destination: str) -> str:
    """The variable holding `destination`'s API key (webhooks: the signing secret)."""
    return f"{destination.upper()}_API_KEY"


def base_url_env(destination: str) -> str:
    """The variable holding `destination`'s base URL (file exports: the folder)."""
    return "FILE_EXPORT_DIR" if destination == "file" else f"{destination.upper()}_BASE_URL"


@dataclass(frozen=True)
class Connection:
    """Credentials and limits of one destination.

    `base_url` empty means the vendor's real URL (file exports: `exports/`); `rate_scale`
    multiplies the vendor's documented rate limits (tests against emulators speed them up);
    `max_attempts` bounds the tries of one request on 429/5xx.
    """

    api_key: str = field(default="", repr=False)
    base_url: str = ""
    rate_scale: float = 1.0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if not self.rate_scale > 0:
            raise SyncConfigError(f"{RATE_SCALE_ENV}={self.rate_scale!r}: use a number above 0")
        if self.max_attempts < 1:
            raise SyncConfigError(
                f"{MAX_ATTEMPTS_ENV}={self.max_attempts!r} is not a whole number of attempts "
                "(>= 1); unset it or set e.g. 8"
            )

    @classmethod
    def from_env(cls, destination: str, environ: Mapping[str, str] | None = None) -> Connection:
        """`destination`'s connection from `environ` (default: this process's environment)."""
        env = os.environ if environ is None else environ
        return cls(
            api_key=env.get(api_key_env(destination), ""),
            base_url=env.get(base_url_env(destination), ""),
            rate_scale=_number(env, RATE_SCALE_ENV, float, 1.0),
            max_attempts=_number(env, MAX_ATTEMPTS_ENV, int, DEFAULT_MAX_ATTEMPTS),
        )

    def with_overrides(self, **changes: object) -> Connection:
        """A copy with `changes` applied, e.g. `api_key=` from a Dagster resource."""
        return replace(self, **{k: v for k, v in changes.items() if v not in (None, "")})


def _number(env: Mapping[str, str], name: str, kind: type, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SyncConfigError(
            f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number; "
            f"unset it or set e.g. {default:g}"
        ) from None
