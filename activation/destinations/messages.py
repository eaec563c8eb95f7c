"""Message sends (SMS, WhatsApp): one message per record key, recorded message by message.

The engine confirms whole batches; a message send cannot wait for that, since the provider
delivers it the moment it accepts it. So every send goes through the delivery ledger
(`activation.delivery`): `pending` before the request, `sent` with the provider's message id
right after. On a later run a `sent` message is never sent again, and a `pending` one (the
process died between the request and the record) is looked up at the provider first where the
API allows (`look_up`); otherwise it is never resent (at-most-once) and reported once.

A send whose outcome is unknown (a 5xx, a connection dropped after sending, a 2xx answer that
cannot be read) is never retried and never marked `failed`: the provider may have delivered
it. Where the API allows, it is looked up at once (Twilio); found, it is `sent`. Otherwise it
stays `pending` (looked up again before any resend by a later run) or, where the provider
cannot look messages up (WhatsApp), becomes `unknown`: held back, reported as a row error and
counted in `held_back`, never resent. Either way sending stops for the rest of the run, so a
provider outage holds back at most one message. Only a refusal the provider documents (4xx,
429 after retries, refused connection) marks a message `failed`, to be sent again.

Vendors do not promise idempotency keys for these APIs, so none is relied upon.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import duckdb

from activation.delivery import (
    OPTED_OUT,
    PENDING,
    SENT,
    UNKNOWN,
    LedgerEntry,
    MessageLedger,
)
from activation.destinations.base import HttpDestination, Record, RowFailures
from activation.errors import (
    AuthError,
    DeliveryUnknownError,
    DestinationError,
    RequestRejectedError,
)


class MessageDestination(HttpDestination):
    """A destination that sends one message per audience event, never twice."""

    send_once = True
    supports_mirror = False
    can_look_up: ClassVar[bool] = False  # whether `look_up` can find an accepted message
    send_limit: ClassVar[str] = "messages"  # rate-limit bucket of `send`

    ledger: MessageLedger | None = None
    halted: str | None = None  # why sending stopped for the rest of this run
    held_back: int = 0  # messages this run held back (unknown outcome, no look-up)
    unsent: set[str]  # keys settled without a send (held back or opted out earlier)

    def bind_state(self, con: duckdb.DuckDBPyConnection, run_id: str) -> None:
        """Record this run's messages in the delivery ledger of `con`."""
        self.ledger = MessageLedger(con, self.sync.name, run_id)
        self.halted = None
        self.held_back = 0
        self.unsent = set()

    @abstractmethod
    def recipient(self, record: Record) -> str:
        """The address (phone number) message `record` goes to."""

    @abstractmethod
    def send(self, record: Record) -> str:
        """Send the message of `record` once (no resend of an unanswered request) with the
        `send_limit` token already taken (`token_taken=True`); return the provider's message
        id. Raises DestinationError."""

    def is_opt_out(self, exc: RequestRejectedError) -> bool:
        """Whether the provider refused because the recipient opted out (never retried)."""
        return False

    def look_up(self, record: Record, entry: LedgerEntry) -> str | None:
        """The provider's id of message `record` if it was accepted (attempted at
        `entry.attempted_at`), else None. Only called when `can_look_up`."""
        raise NotImplementedError

    def upsert(self, records: list[Record]) -> RowFailures:
        """Send each record's message unless the ledger shows it sent (or possibly sent).

        A provider outage (429 or no connection after retries) or a send with an unknown
        outcome stops sending for the rest of the run: the other records are reported as not
        attempted and sent by the next run.
        """
        if self.ledger is None:
            raise RuntimeError(f"{self.name}: bind_state must be called before sending")
        failures: RowFailures = {}
        for index, record in enumerate(records):
            if self.halted:
                failures[record.key] = f"not attempted: {self.halted}"
                continue
            try:
                error = self._deliver(self.ledger, record)
            except AuthError:
                raise
            except DeliveryUnknownError as exc:
                failures[record.key] = str(exc)
                self.halted = (
                    f"{self.name} sending stopped for this run after message {record.key!r} had "
                    "an unknown outcome"
                )
                continue
            except DestinationError as exc:
                failures[record.key] = str(exc)
                for rest in records[index + 1 :]:
                    failures[rest.key] = f"not attempted: {self.name} unavailable ({exc})"
                return failures
            if error:
                failures[record.key] = error
        return failures

    def _deliver(self, ledger: MessageLedger, record: Record) -> str | None:
        """Send `record` at most once; return a row error, or None when it is (or was) sent."""
        entry = ledger.get(record.key)
        if entry is not None and entry.status in (UNKNOWN, OPTED_OUT):
            self.unsent.add(record.key)  # possibly delivered or opted out, reported once
            return None
        if entry is not None and entry.status == SENT:
            return None  # delivered: never resend
        if entry is not None and entry.status == PENDING:
            if not self.can_look_up:
                error = (
                    f"{self.name}: message {record.key!r} may have been delivered by an "
                    f"interrupted run and {self.name} cannot look messages up, so it is not "
                    "resent (at-most-once); delete its row in activation.sync_messages to "
                    "send it anyway"
                )
                ledger.unknown(record.key, error)
                self.held_back += 1
                return error
            found = self.look_up(record, entry)
            if found:
                ledger.sent(record.key, found)
                return None
        # wait for the rate limit before the write-ahead, so `pending` spans only the request
        self.client.acquire(self.send_limit)
        ledger.pending(record.key, self.recipient(record))
        try:
            message_id = self.send(record)
        except RequestRejectedError as exc:
            error = exc.body or str(exc)
            if self.is_opt_out(exc):
                ledger.opted_out(record.key, error)
            else:
                ledger.failed(record.key, error)
            return error
        except DestinationError as exc:
            if exc.outcome_unknown:
                return self._resolve_unknown(ledger, record, exc)
            ledger.failed(record.key, str(exc))  # refused before processing: not accepted
            raise
        ledger.sent(record.key, message_id)
        return None

    def _resolve_unknown(
        self, ledger: MessageLedger, record: Record, cause: DestinationError
    ) -> None:
        """After a send with an unknown outcome: look the message up where the provider allows
        (found: `sent`, and sending goes on); else raise DeliveryUnknownError, leaving it
        `pending` (looked up again before any resend) or `unknown` (held back for good)."""
        if self.can_look_up:
            entry = ledger.get(record.key)
            try:
                found = self.look_up(record, entry) if entry else None
            except DestinationError:
                found = None
            if found:
                ledger.sent(record.key, found)
                return None
            raise DeliveryUnknownError(
                f"{self.name}: message {record.key!r} may have been delivered ({cause}); it "
                f"stays pending and is looked up at {self.name} before any resend by the next "
                "run",
                vendor=self.name,
            )
        error = (
            f"{self.name}: message {record.key!r} held back: it may have been delivered "
            f"({cause}) and {self.name} cannot look messages up, so it is not resent "
            "(at-most-once); delete its row in activation.sync_messages to send it anyway"
        )
        ledger.unknown(record.key, error)
        self.held_back += 1
        raise DeliveryUnknownError(error, vendor=self.name)
