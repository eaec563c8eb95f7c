"""What every destination implements on top of the shared engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from activation.connection import Connection, api_key_env, base_url_env
from activation.errors import SyncConfigError
from activation.http import HttpClient
from activation.ratelimit import RateLimit
from activation.urls import check_base_url, url_secrets

if TYPE_CHECKING:
    from activation.config import SyncConfig

T = TypeVar("T")


class NoOptions(BaseModel):
    """Destinations without options of their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Record:
    """One audience member (or event) as the engine hands it to a destination."""

    key: str
    identifiers: dict[str, Any]
    fields: dict[str, Any]
    op: str  # add | update | remove
    reason: str | None = None  # removals: left_audience | consent_withdrawn


RowFailures = dict[str, str]
"""record key -> the vendor's error text for rows the vendor rejected."""

BLOCKING_STATUSES = frozenset({"unsubscribed", "suppressed", "cleaned"})
"""Provider consent statuses (as normalised in `Destination.observed`) nobody is sent to."""


class Destination(ABC):
    """A vendor adapter: declares its limits and options, and maps records to API calls."""

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    channels: ClassVar[frozenset[str]] = frozenset({"email", "sms", "whatsapp"})
    identifier_keys: ClassVar[frozenset[str] | None] = None  # None: any name allowed
    channel_identifier: ClassVar[Mapping[str, str]] = {}
    supports_mirror: ClassVar[bool] = True
    # channels on which remove() unsubscribes records with reason `consent_withdrawn`
    unsubscribe_channels: ClassVar[frozenset[str]] = frozenset()
    send_once: ClassVar[bool] = False  # message sends: one event is sent once, never updated
    upsert_batch_size: ClassVar[int] = 100
    remove_batch_size: ClassVar[int] = 100
    # concurrency (1: strictly sequential); > 1 only where upsert/remove are thread-safe
    batches_in_flight: ClassVar[int] = 1  # engine: batches sent while earlier ones finish
    request_concurrency: ClassVar[int] = 1  # `fan_out`: requests in flight within one batch

    def __init__(self, sync: SyncConfig, connection: Connection | None = None) -> None:
        self.sync = sync
        self.options: Any = sync.options
        self.connection = connection or Connection()
        # record key -> provider consent status read back this run (subscribed, unsubscribed,
        # suppressed, cleaned, never_subscribed, pending); BLOCKING_STATUSES are never confirmed
        self.observed: dict[str, str] = {}
        # normalised contact -> provider status known this run (`activation.consent.read_back`)
        self.consent: dict[str, str] = {}
        self.consent_read_at: datetime | None = None  # when this run's read-back started

    @classmethod
    def check_sync(cls, sync: SyncConfig) -> list[tuple[str, str]]:
        """Problems with `sync` for this destination as (field, what is allowed) pairs."""
        problems: list[tuple[str, str]] = []
        if sync.channel not in cls.channels:
            problems.append(("channel", f"one of {sorted(cls.channels)} for {cls.name}"))
        if cls.identifier_keys is not None:
            unknown = sorted(set(sync.identifiers) - cls.identifier_keys)
            if unknown:
                problems.append(
                    ("identifiers", f"keys among {sorted(cls.identifier_keys)}, not {unknown}")
                )
        needed = cls.channel_identifier.get(sync.channel)
        if needed and needed not in sync.identifiers:
            problems.append(("identifiers", f"a '{needed}' identifier for channel {sync.channel}"))
        if sync.mode == "mirror" and not cls.supports_mirror:
            problems.append(("mode", f"'upsert' ({cls.name} syncs cannot remove members)"))
        return problems

    @property
    def write_requests(self) -> int:
        """Write requests (or file writes) sent so far."""
        return 0

    def bind_state(self, con: Any, run_id: str) -> None:
        """Give the destination the warehouse connection and run id (message ledgers); default:
        nothing."""
        return None

    def prepare(self) -> None:
        """Resolve or create the target (list, segment) before writing; default: nothing."""
        return None

    def blocked(self, records: list[Record]) -> dict[str, str]:
        """Keys of `records` the provider marks unsubscribed/suppressed -> that status."""
        return {}

    def members(self) -> set[str] | None:
        """Contacts (normalised email or phone) the target holds now; None: cannot be listed."""
        return None

    def members_among(self, contacts: list[str]) -> set[str] | None:
        """Which of `contacts` the target holds now; None: only `members()` can tell."""
        return None

    def consent_changes(self, since: datetime | None) -> dict[str, str] | None:
        """Contact -> provider status of everyone whose consent changed since `since` (UTC).

        `since=None` (no earlier read): every opt-out the provider holds. None: this destination
        cannot read consent back.
        """
        return None

    def lookup_consent(self, contacts: list[str]) -> dict[str, str]:
        """Provider status of `contacts` (people new to this provider); absent: unknown there."""
        return {}

    @property
    def consent_scope(self) -> str:
        """The account (and audience) whose consent `consent_changes` reads."""
        return ""

    def fan_out(self, send: Callable[[T], object], groups: list[T]) -> None:
        """Call `send` on each group, up to `request_concurrency` at once; re-raise an error.

        Every group is attempted even when one fails (each request is idempotent, and the engine
        resends the whole batch on the next run).
        """
        workers = min(self.request_concurrency, len(groups))
        if workers <= 1:
            for group in groups:
                send(group)
            return
        with ThreadPoolExecutor(workers, thread_name_prefix=f"{self.name}-request") as pool:
            futures = [pool.submit(send, group) for group in groups]
        for future in futures:
            future.result()

    @abstractmethod
    def upsert(self, records: list[Record]) -> RowFailures:
        """Add or update `records` (at most `upsert_batch_size`); return per-row failures."""

    def remove(self, records: list[Record]) -> RowFailures:
        """Remove `records` from the target (mirror mode); return per-row failures."""
        raise NotImplementedError(f"{self.name} does not support removals")


class HttpDestination(Destination):
    """A destination reached over HTTP with `<NAME>_API_KEY` and `<NAME>_BASE_URL`."""

    default_base_url: ClassVar[str]
    limits: ClassVar[Mapping[str, RateLimit]]

    def __init__(self, sync: SyncConfig, connection: Connection | None = None) -> None:
        super().__init__(sync, connection)
        api_key = self.connection.api_key
        if not api_key:
            raise SyncConfigError(
                f"sync '{sync.name}': no {self.name} API key; export {api_key_env(self.name)} "
                "(see `retention emulators` for local testing)"
            )
        self.api_key = api_key
        base_url = self.connection.base_url or self.base_url_for(api_key)
        if base_url:
            check_base_url(sync.name, base_url_env(self.name), base_url)
        scale = self.connection.rate_scale
        self.client = HttpClient(
            vendor=self.name,
            base_url=base_url,
            auth_headers=self.auth_headers(api_key),
            limits={k: v.scaled(scale) for k, v in self.limits.items()},
            secrets=(api_key, *api_key.split(":"), *url_secrets(base_url)),
            max_attempts=self.connection.max_attempts,
        )

    def base_url_for(self, api_key: str) -> str:
        """The vendor's real base URL (some depend on the key, e.g. Mailchimp's data centre)."""
        return self.default_base_url

    @abstractmethod
    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Headers that authenticate a request with `api_key`."""

    @property
    def write_requests(self) -> int:
        return self.client.write_requests

    @property
    def consent_scope(self) -> str:
        return self.client.redact(self.client.base_url)


def chunks(items: list, size: int) -> list[list]:
    """`items` split into lists of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]
