"""Local provider emulators on 127.0.0.1, faithful to each vendor's contract.

`running_emulators()` serves every vendor under its own path prefix of one server and yields
an `Emulators` object: `.env` holds `<DEST>_BASE_URL` and `<DEST>_API_KEY` for each
destination, and `.klaviyo`, `.mailchimp`, ... expose state and request logs.

A real account keeps its lists between sessions, and the warehouse's sync state assumes it did:
with `state_file` (`state_file_for(warehouse)`, next to the DuckDB file) the emulated accounts
start from what the last session left and are saved when the block exits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount

from activation.connection import Connection
from activation.emulators.common import FaultOptions, LoggedRequest, VendorEmulator
from activation.emulators.crm import (
    AttentiveEmulator,
    BrazeEmulator,
    IterableEmulator,
    SendlaneEmulator,
)
from activation.emulators.klaviyo import KlaviyoEmulator
from activation.emulators.mailchimp import DEFAULT_LIST_ID, MailchimpEmulator
from activation.emulators.messaging import TwilioEmulator, WhatsappEmulator
from activation.emulators.server import BackgroundServer
from activation.emulators.state_file import StateFileError, read_state, write_state
from activation.emulators.webhook import WebhookEmulator
from retention.core.errors import UserError

__all__ = [
    "DEFAULT_LIST_ID",
    "Emulators",
    "LoggedRequest",
    "running_emulators",
    "state_file_for",
]


@dataclass
class Emulators:
    """The running emulators, their base URL and the environment pointing syncs at them."""

    url: str
    klaviyo: KlaviyoEmulator
    mailchimp: MailchimpEmulator
    sendlane: SendlaneEmulator
    iterable: IterableEmulator
    braze: BrazeEmulator
    attentive: AttentiveEmulator
    twilio: TwilioEmulator
    whatsapp: WhatsappEmulator
    webhook: WebhookEmulator
    env: dict[str, str] = field(default_factory=dict)

    def connection(self, destination: str, rate_scale: float = 1.0) -> Connection:
        """`destination`'s connection to its emulator (its fake key and local base URL)."""
        return Connection.from_env(destination, self.env).with_overrides(rate_scale=rate_scale)

    @property
    def all(self) -> list[VendorEmulator]:
        """Every vendor emulator."""
        return [
            self.klaviyo,
            self.mailchimp,
            self.sendlane,
            self.iterable,
            self.braze,
            self.attentive,
            self.twilio,
            self.whatsapp,
            self.webhook,
        ]

    def write_requests(self) -> list[LoggedRequest]:
        """Non-GET requests received by any emulator."""
        return [r for emulator in self.all for r in emulator.write_requests]

    def clear_logs(self) -> None:
        """Forget every logged request."""
        for emulator in self.all:
            emulator.clear_log()

    def save(self, path: Path) -> None:
        """Write every emulated account's state to `path` as JSON (atomically: a crash keeps
        the last)."""
        with self._lock_all():
            accounts = {e.vendor: e.account_state() for e in self.all}
            write_state(path, accounts)

    def restore(self, path: Path) -> None:
        """Load the accounts `save` wrote to `path` (UserError when it cannot be read)."""
        try:
            accounts = read_state(path)
        except (OSError, StateFileError) as error:
            raise UserError(
                f"emulator state {path} is unreadable ({error}): delete it to start with empty "
                "emulated accounts, then `retention sync --full-resync --emulators`"
            ) from None
        for emulator in self.all:
            emulator.restore_account(accounts.get(emulator.vendor, {}))

    @contextmanager
    def _lock_all(self) -> Iterator[None]:
        """Hold every emulator's state lock (a consistent snapshot across vendors)."""
        held = []
        try:
            for emulator in self.all:
                emulator.lock.acquire()
                held.append(emulator)
            yield
        finally:
            for emulator in reversed(held):
                emulator.lock.release()


def state_file_for(db_path: Path) -> Path:
    """Where the emulated accounts of the warehouse at `db_path` are kept: next to it."""
    return db_path.with_name(f"{db_path.stem}.emulators.json")


def _api_keys() -> dict[str, str]:
    token = secrets.token_hex(12)
    return {
        "klaviyo": f"pk_{token}",
        "mailchimp": f"{token}-us6",
        "sendlane": f"sl_{token}",
        "iterable": f"it{token}",
        "braze": f"br-{token}",
        "attentive": f"at_{token}",
        "twilio": f"SK{secrets.token_hex(16)}:{token}",
        "whatsapp": f"EAA{token}",
        "webhook": f"whsec_{token}",
    }


@contextmanager
def running_emulators(
    *,
    fault_rate: float = 0.0,
    retry_after_s: float = 1.0,
    rate_scale: float = 1.0,
    seed: int = 0,
    klaviyo_job_seconds: float = 0.05,
    port: int = 0,
    state_file: Path | None = None,
) -> Iterator[Emulators]:
    """Serve all emulators on 127.0.0.1 for the duration of the `with` block.

    `state_file`: start the accounts from it when it exists, save them to it on exit;

    `fault_rate`: share of requests answered 429 (with Retry-After) or 503 before processing;
    `rate_scale`: multiplies the vendors' documented rate limits (tests use large values).
    """
    faults = FaultOptions(fault_rate, retry_after_s, rate_scale, seed)
    keys = _api_keys()
    emulators = {
        "klaviyo": KlaviyoEmulator(faults, keys["klaviyo"], job_seconds=klaviyo_job_seconds),
        "mailchimp": MailchimpEmulator(faults, keys["mailchimp"]),
        "sendlane": SendlaneEmulator(faults, keys["sendlane"]),
        "iterable": IterableEmulator(faults, keys["iterable"]),
        "braze": BrazeEmulator(faults, keys["braze"]),
        "attentive": AttentiveEmulator(faults, keys["attentive"]),
        "twilio": TwilioEmulator(faults, keys["twilio"]),
        "whatsapp": WhatsappEmulator(faults, keys["whatsapp"]),
        "webhook": WebhookEmulator(faults, keys["webhook"]),
    }
    app = Starlette(routes=[Mount(e.prefix, routes=e.routes()) for e in emulators.values()])
    server = BackgroundServer(app, port=port)
    env: dict[str, str] = {}
    running = Emulators(url="", env=env, **emulators)
    if state_file is not None and state_file.exists():
        running.restore(state_file)
    running.url = url = server.start()
    for name, emulator in emulators.items():
        env[f"{name.upper()}_BASE_URL"] = url + emulator.prefix
        env[f"{name.upper()}_API_KEY"] = emulator.api_key
    try:
        yield running
    finally:
        server.stop()
        if state_file is not None:
            running.save(state_file)
