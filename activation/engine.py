"""The sync engine: diff, safety checks, write-ahead batches, per-row failures, run records."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb

from activation import build_gate, consent, experiment, outcome, reconcile, state
from activation.config import SyncConfig
from activation.connection import Connection
from activation.destinations import DESTINATIONS
from activation.destinations.base import Destination, Record, RowFailures, chunks
from activation.diff import PlanSummary, plan_changes, stage_audience
from activation.errors import AuthError, DestinationError
from activation.guards import empty_guard, growth_guard, withdrawal_guard
from activation.tables import ensure_tables
from retention.core.errors import UserError

log = logging.getLogger("activation.engine")

OK_STATUSES = frozenset({"success", "partial", "dry_run"})
Item = tuple[Record, str | None, str | None]  # record, payload json, payload hash


@dataclass
class SyncResult:
    """What one sync run did (or, for a dry run, would do)."""

    sync_name: str
    status: str  # success | partial (some rows failed) | failed | blocked | dry_run
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    skipped_no_consent: int = 0
    skipped_suppressed: int = 0
    drift_missing: int = 0  # confirmed members the provider no longer holds (read back)
    drift_unexpected: int = 0  # members at the provider this (mirror) sync never sent
    held_back: int = 0  # messages of unknown outcome never resent (no look-up): row errors
    duration_s: float = 0.0
    write_requests: int = 0
    errors: list[str] = field(default_factory=list)
    run_id: str = ""
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """False unless the sync succeeded, partly succeeded or was a dry run: failed, blocked,
        or left `running`/`interrupted` by a crash (the CLI exits non-zero)."""
        return self.status in OK_STATUSES

    def counts(self) -> dict[str, str | int]:
        """Status and per-outcome row counts, as stored in sync_runs and shown in Dagster."""
        return {
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "failed": self.failed,
            "skipped_no_consent": self.skipped_no_consent,
            "skipped_suppressed": self.skipped_suppressed,
            "drift_missing": self.drift_missing,
            "drift_unexpected": self.drift_unexpected,
            "held_back": self.held_back,
        }


def _records(rows: list[tuple]) -> list[Item]:
    """(Record, payload json, hash) from `_plan` rows (key, op, reason, payload, hash)."""
    out = []
    for key, op, reason, payload, payload_hash in rows:
        data = json.loads(payload) if payload else {"identifiers": {}, "fields": {}}
        record = Record(key, data.get("identifiers", {}), data.get("fields", {}), op, reason)
        out.append((record, payload, payload_hash))
    return out


def _removal_guard(sync: SyncConfig, plan: PlanSummary, approve: bool) -> str | None:
    if sync.mode != "mirror" or approve or plan.removes == 0 or plan.currently_synced == 0:
        return None
    share = plan.removes / plan.currently_synced
    if share <= sync.max_removal_share:
        return None
    return (
        f"sync '{sync.name}' would remove {plan.removes} of {plan.currently_synced} members "
        f"({share:.0%}) from {sync.destination} target '{sync.target}', above "
        f"max_removal_share {sync.max_removal_share:.0%}; nothing was sent. Check the audience "
        f"model {sync.model}, then approve with `retention sync {sync.name} --approve-removals`"
    )


def _store_plan(con: duckdb.DuckDBPyConnection, run_id: str, sync: SyncConfig) -> None:
    con.execute(
        "INSERT INTO activation.sync_planned_changes "
        "SELECT ?, ?, record_key, op, reason, payload FROM _plan",
        [run_id, sync.name],
    )


class _Batcher:
    """Sends planned records batch by batch with write-ahead state.

    Up to `destination.batches_in_flight` batches are sent at once on worker threads; every
    batch is marked pending before it is handed to a worker, and the DuckDB state is only
    touched from the calling thread. A crash leaves at most that many batches pending; the next
    run resends them (destination writes are idempotent upserts/removals).
    """

    def __init__(self, con, sync: SyncConfig, destination: Destination, run_id: str) -> None:
        self.con = con
        self.sync = sync
        self.destination = destination
        self.run_id = run_id
        self.failed = 0
        self.suppressed = 0
        self.done: dict[str, int] = {"add": 0, "update": 0, "remove": 0}
        self.errors: list[str] = []

    def send(self, items: list[Item], size: int) -> None:
        in_flight = max(1, self.destination.batches_in_flight)
        sending: deque[tuple[str, list[Item], Future[RowFailures]]] = deque()
        with ThreadPoolExecutor(in_flight, thread_name_prefix="sync-batch") as pool:
            try:
                for batch in chunks(items, size):
                    if len(sending) == in_flight:
                        self._finish(*sending.popleft())
                    batch = self._screen(batch)
                    if not batch:
                        continue
                    batch_id = uuid.uuid4().hex
                    rows = [(r.key, r.op, h) for r, _, h in batch]
                    state.mark_pending(self.con, self.sync.name, batch_id, rows)
                    records = [r for r, _, _ in batch]
                    sending.append((batch_id, batch, pool.submit(self._write, records)))
                while sending:
                    self._finish(*sending.popleft())
            finally:
                for _, _, future in sending:
                    future.cancel()

    def _screen(self, batch: list[Item]) -> list[Item]:
        """Drop the rows the provider holds as unsubscribed/suppressed right now."""
        upserts = [r for r, _, _ in batch if r.op != "remove"]
        blocked = consent.screen_batch(self.con, self.sync, self.destination, upserts)
        self.suppressed += len(blocked)
        return [i for i in batch if i[0].key not in blocked]

    def _write(self, records: list[Record]) -> RowFailures:
        """Send one batch (worker thread); a failed request fails every row of the batch."""
        try:
            if records[0].op == "remove":
                return self.destination.remove(records)
            return self.destination.upsert(records)
        except AuthError:
            raise
        except DestinationError as exc:
            self.errors.append(str(exc))
            return {r.key: str(exc) for r in records}

    def _finish(self, batch_id: str, batch: list[Item], future: Future[RowFailures]) -> None:
        """Wait for batch `batch_id` and record its outcome."""
        failures = future.result()
        records = [r for r, _, _ in batch]
        settled = consent.settle_batch(self.con, self.sync, self.destination, batch_id, records)
        self.suppressed += len(settled)
        is_remove = records[0].op == "remove"
        payloads = {} if is_remove else {r.key: p for r, p, _ in batch if r.key not in failures}
        state.mark_batch_done(self.con, self.run_id, self.sync.name, batch_id, payloads, failures)
        self.failed += len(failures)
        # message sends held back or opted out earlier are settled, but not sent by this run
        skip = settled | set(getattr(self.destination, "unsent", ()))
        for record in records:
            if record.key not in failures and record.key not in skip:
                self.done[record.op] += 1


def run_sync(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    *,
    dry_run: bool = False,
    approve_removals: bool = False,
    connection: Connection | None = None,
    full_resync: bool = False,
    approve_growth: bool = False,
    approve_empty: bool = False,
) -> SyncResult:
    """Sync one audience to its destination; see the module docs of `activation` for semantics.

    Consent is re-checked here: members without consent for `sync.channel` are never sent.
    Nothing is sent after a failed or unfinished build or from a future as-of date
    (`activation.build_gate`), nor when the audience grows beyond the sync's size guards
    (`activation.guards`) without `approve_growth`, becomes empty without `approve_empty`, or
    the plan removes more than `max_removal_share` without `approve_removals`.
    A dry run stores and returns the planned diff without any request to the destination.
    `connection` holds the destination's key and URL (default: `Connection.from_env`).
    `full_resync` re-sends every consented member, ignoring the confirmed state (see
    `activation.reconcile`). Once the run is recorded, any unexpected exception finishes it as
    `failed` with the error in its message (never left `running`); the write-ahead state of
    what was in flight stays pending and is resolved by the next run.
    """
    started = time.monotonic()
    ensure_tables(con)
    destination_cls = DESTINATIONS[sync.destination]
    stage_audience(con, sync)
    experiment.apply_experiment(con, sync, record=not dry_run)
    plan = plan_changes(con, sync, send_once=destination_cls.send_once)
    outcome.mark_interrupted(con, sync.name)
    if full_resync:
        plan = reconcile.plan_full_resync(con, sync, destination_cls, plan)
    run_id = state.start_run(con, sync.name, sync.destination, dry_run)
    result = SyncResult(sync.name, "running", run_id=run_id, dry_run=dry_run)
    planned: dict[str, int] = {}
    raised: Exception | None = None
    try:
        destination, read_error = _read_back(con, sync, connection, dry_run)
        plan = consent.plan_withdrawals(con, sync, destination_cls, plan)
        state.record_audience(con, run_id, sync.model, sync.target, plan.audience_size)
        result.skipped_no_consent = plan.skipped_no_consent
        planned = {"adds": plan.adds, "updates": plan.updates, "removes": plan.removes}
        _run_planned(
            con,
            sync,
            plan,
            result,
            destination,
            connection,
            read_error,
            approve_removals=approve_removals,
            approve_growth=approve_growth,
            approve_empty=approve_empty,
        )
    except UserError as exc:  # e.g. no API key: recorded as failed, then the one-line error
        result.status, raised = "failed", exc
        result.errors.insert(0, str(exc))
    except Exception as exc:  # any crash: the run is recorded as failed, never left running
        log.exception("sync %s: unexpected error", sync.name)
        result.status = "failed"
        result.errors.insert(
            0,
            f"sync '{sync.name}' stopped by an unexpected error: {type(exc).__name__}: {exc}; "
            "messages and batches in flight stay pending and are resolved by the next run; "
            "see the log for the traceback",
        )
    result.duration_s = time.monotonic() - started
    state.finish_run(
        con,
        run_id,
        {
            **result.counts(),
            "write_requests": result.write_requests,
            "message": "; ".join(result.errors)[:4000] or None,
        },
        planned,
    )
    log.info(
        "sync %s: %s (+%d ~%d -%d, %d failed, %d held back, %d no consent, %d suppressed) in %.1fs",
        sync.name,
        result.status,
        result.added,
        result.updated,
        result.removed,
        result.failed,
        result.held_back,
        result.skipped_no_consent,
        result.skipped_suppressed,
        result.duration_s,
    )
    if raised is not None:
        raise raised
    return result


def _read_back(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    connection: Connection | None,
    dry_run: bool,
) -> tuple[Destination | None, str | None]:
    """Read provider-side opt-outs into the ledger before planning (`activation.consent`):
    the destination used, and the one-line error if the read failed (then nothing is sent).
    Skipped for dry runs and builds the gate refuses."""
    if dry_run or build_gate.refusal(con, sync.name) is not None:
        return None, None
    destination = DESTINATIONS[sync.destination](
        sync, connection or Connection.from_env(sync.destination)
    )
    try:
        consent.read_back(con, sync, destination)
    except DestinationError as exc:
        return destination, (
            f"sync '{sync.name}': opt-outs could not be read back, nothing sent: {exc}"
        )
    return destination, None


def _run_planned(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    plan: PlanSummary,
    result: SyncResult,
    destination: Destination | None,
    connection: Connection | None,
    read_error: str | None,
    *,
    approve_removals: bool,
    approve_growth: bool,
    approve_empty: bool,
) -> None:
    """Apply the guards to the stored plan, then send it through `destination` (built from
    `connection` if the read-back made none) or store it for a dry run; a failed opt-out read
    (`read_error`) fails the run with nothing sent."""
    run_id = result.run_id
    blocked_msg = (
        build_gate.refusal(con, sync.name)
        or growth_guard(con, sync, plan, run_id, approve_growth)
        or empty_guard(con, sync, plan, run_id, approve_empty, approve_removals)
        or withdrawal_guard(sync, plan, approve_removals)
        or _removal_guard(sync, plan, approve_removals)
    )
    if blocked_msg:
        log.warning(blocked_msg)
        _store_plan(con, run_id, sync)
        result.status, result.errors = "blocked", [blocked_msg]
        result.removed = 0
    elif result.dry_run:
        _store_plan(con, run_id, sync)
        result.status = "dry_run"
        result.added, result.updated, result.removed = plan.adds, plan.updates, plan.removes
    elif read_error:
        log.error(read_error)
        result.status, result.errors = "failed", [read_error]
    else:
        destination = destination or DESTINATIONS[sync.destination](
            sync, connection or Connection.from_env(sync.destination)
        )
        _execute(con, sync, destination, run_id, result)
        outcome.apply_failure_threshold(result, sync)


def _execute(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    destination: Destination,
    run_id: str,
    result: SyncResult,
) -> None:
    rows = con.execute(
        "SELECT record_key, op, reason, payload, payload_hash FROM _plan ORDER BY op, record_key"
    ).fetchall()
    items = _records(rows)
    upserts = [i for i in items if i[0].op != "remove"]
    removes = [i for i in items if i[0].op == "remove"]
    batcher = _Batcher(con, sync, destination, run_id)
    destination.bind_state(con, run_id)
    try:
        if upserts or removes:
            destination.prepare()
        # removals first: when a shared address passes to another customer record (one
        # owner per contact, int_audience_contact_owners), the old record's removal must not
        # take out the address the new record adds
        batcher.send(removes, destination.remove_batch_size)
        batcher.send(upserts, destination.upsert_batch_size)
        drift = reconcile.check_drift(con, sync, destination, run_id)
        if drift:
            result.drift_missing, result.drift_unexpected = drift.missing, drift.unexpected
    except DestinationError as exc:
        result.errors.append(str(exc))
        result.status = "failed"
    finally:  # also when an unexpected error stops the run: count what was done
        result.added, result.updated = batcher.done["add"], batcher.done["update"]
        result.removed = batcher.done["remove"]
        result.failed = batcher.failed
        result.skipped_suppressed = batcher.suppressed
        result.errors.extend(batcher.errors[:20])
        result.write_requests = destination.write_requests
        result.held_back = getattr(destination, "held_back", 0)
    if result.status != "failed":
        result.status = "partial" if batcher.failed else "success"
