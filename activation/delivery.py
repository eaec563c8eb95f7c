"""Per-message delivery ledger (`activation.sync_messages`) for message sends (SMS, WhatsApp).

Each message (one per sync and record key) is written ahead as `pending` before the send
request and marked `sent` with the provider's message id right after the provider accepted it,
each in its own committed statement. A crash between the two, or a send answered 5xx, cut off
after sending or answered with an unreadable 2xx, leaves the message `pending`: its delivery
is unknown. Before sending a `pending` message again the destination looks it up at the
provider where the API allows (Twilio's message list); where it cannot (WhatsApp Cloud API) the
message is never resent: it becomes `unknown` ("held back"), reported once as a row error
(at-most-once delivery). `failed` messages were refused by the provider (a 4xx, a 429 after
retries, a refused connection) and may be sent again, except `opted_out` ones (the recipient
unsubscribed at the provider), which are never retried.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import duckdb

from activation.state import now
from activation.tables import ensure_tables

PENDING, SENT, FAILED, UNKNOWN = "pending", "sent", "failed", "unknown"
OPTED_OUT = "opted_out"  # the provider refused: the recipient opted out; never retried


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger knows about one message."""

    status: str
    recipient: str
    provider_message_id: str | None
    attempted_at: datetime


class MessageLedger:
    """Reads and writes `activation.sync_messages` for one sync run.

    Safe to use from the engine's worker thread: every thread gets its own DuckDB cursor, and
    every call is one auto-committed statement (durable before the next request goes out).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, sync_name: str, run_id: str) -> None:
        ensure_tables(con)
        self._con = con
        self._local = threading.local()
        self.sync_name = sync_name
        self.run_id = run_id

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._con.cursor()
        return cursor

    def get(self, key: str) -> LedgerEntry | None:
        """The ledger entry of message `key`, if it was ever attempted."""
        row = (
            self._cursor()
            .execute(
                "SELECT status, recipient, provider_message_id, attempted_at "
                "FROM activation.sync_messages WHERE sync_name = ? AND record_key = ?",
                [self.sync_name, key],
            )
            .fetchone()
        )
        return LedgerEntry(*row) if row else None

    def pending(self, key: str, recipient: str) -> None:
        """Write-ahead: message `key` to `recipient` is about to be sent."""
        self._cursor().execute(
            "INSERT INTO activation.sync_messages AS m (sync_name, record_key, recipient, status, "
            "run_id, attempts, attempted_at) VALUES (?, ?, ?, 'pending', ?, 1, ?) "
            "ON CONFLICT (sync_name, record_key) DO UPDATE SET recipient = excluded.recipient, "
            "status = 'pending', run_id = excluded.run_id, attempts = m.attempts + 1, "
            "attempted_at = excluded.attempted_at, error = NULL",
            [self.sync_name, key, recipient, self.run_id, now()],
        )

    def _set(self, key: str, status: str, message_id: str | None, error: str | None) -> None:
        self._cursor().execute(
            "UPDATE activation.sync_messages SET status = ?, "
            "provider_message_id = coalesce(?, provider_message_id), error = ?, run_id = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
            "WHERE sync_name = ? AND record_key = ?",
            [status, message_id, error, self.run_id, status, now(), self.sync_name, key],
        )

    def sent(self, key: str, message_id: str) -> None:
        """The provider accepted message `key` as `message_id`."""
        self._set(key, SENT, message_id, None)

    def failed(self, key: str, error: str) -> None:
        """The provider refused message `key`; nothing was delivered, it may be sent again."""
        self._set(key, FAILED, None, error)

    def opted_out(self, key: str, error: str) -> None:
        """The provider refused message `key` because the recipient opted out: never retry."""
        self._set(key, OPTED_OUT, None, error)

    def unknown(self, key: str, error: str) -> None:
        """Message `key` may have been delivered and cannot be looked up: never resend it."""
        self._set(key, UNKNOWN, None, error)

    def claimed(self, message_id: str) -> bool:
        """Whether `message_id` is already recorded for some message (of any sync)."""
        row = (
            self._cursor()
            .execute(
                "SELECT count(*) FROM activation.sync_messages WHERE provider_message_id = ?",
                [message_id],
            )
            .fetchone()
        )
        return bool(row and row[0])
