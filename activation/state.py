"""Sync state in DuckDB schema `activation`: runs, per-record state, planned changes, row errors.

`sync_records.fields_hash` is the hash of what the provider holds (NULL: not at the provider);
it only changes after the provider confirmed a write, so a crash leaves rows `pending` with
their old hash and the next run simply sends them again.

`sync_runs.owner` names the process working on a `running` run (`host:pid:start`, see
`retention.core.process`); `interrupt_dead_runs` marks runs whose process died `interrupted`,
whichever sync they belong to, so no run stays `running` after a kill.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import duckdb

from retention.core import process


def now() -> datetime:
    """Current UTC time without tzinfo (DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(
    con: duckdb.DuckDBPyConnection, sync_name: str, destination: str, dry_run: bool
) -> str:
    """Insert a `running` sync_runs row owned by this process and return its run id."""
    run_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO activation.sync_runs (run_id, sync_name, destination, started_at, status, "
        "dry_run, owner) VALUES (?, ?, ?, ?, 'running', ?, ?)",
        [run_id, sync_name, destination, now(), dry_run, str(process.current())],
    )
    return run_id


def interrupt_runs(
    con: duckdb.DuckDBPyConnection, *, dead: bool = True, message: str | None = None
) -> list[tuple[str, str, str]]:
    """Mark `running` runs `interrupted`: those whose owner died (`dead`), else this process's.

    Returns (run_id, sync_name, owner) of each marked run. Rows they left `pending` are resumed
    by the sync's next run.
    """
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'activation' "
        "AND table_name = 'sync_runs' AND column_name = 'owner'"
    ).fetchone()[0]
    if not found:
        return []
    me = str(process.current())
    rows = con.execute(
        "SELECT run_id, sync_name, owner FROM activation.sync_runs "
        "WHERE status = 'running' AND owner IS NOT NULL"
    ).fetchall()
    marked = []
    for run_id, sync_name, owner in rows:
        parsed = process.Owner.parse(owner)
        if parsed is None:
            continue
        if (not process.alive(parsed)) if dead else owner == me:
            marked.append((run_id, sync_name, owner))
    text = message or (
        "interrupted: its process died before the run finished; rows it left pending are "
        "resumed by the next run"
    )
    for run_id, _, _ in marked:
        con.execute(
            "UPDATE activation.sync_runs SET status = 'interrupted', finished_at = ?, message = ? "
            "WHERE run_id = ? AND status = 'running'",
            [now(), text, run_id],
        )
    return marked


def record_audience(
    con: duckdb.DuckDBPyConnection, run_id: str, model: str, target: str, audience_size: int
) -> None:
    """Store which audience and target run `run_id` synced and the audience's size then.

    `audience_size` counts the members this sync targets (rows routed to its channel, with
    consent), so the report can chart each audience's size over time.
    """
    con.execute(
        "UPDATE activation.sync_runs SET audience_model = ?, target = ?, audience_size = ? "
        "WHERE run_id = ?",
        [model, target, audience_size, run_id],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, counts: dict, planned: dict) -> None:
    """Record the outcome of run `run_id`."""
    con.execute(
        "UPDATE activation.sync_runs SET finished_at = ?, status = ?, added = ?, updated = ?, "
        "removed = ?, failed = ?, skipped_no_consent = ?, skipped_suppressed = ?, "
        "write_requests = ?, planned = ?, message = ? WHERE run_id = ?",
        [
            now(),
            counts["status"],
            counts["added"],
            counts["updated"],
            counts["removed"],
            counts["failed"],
            counts["skipped_no_consent"],
            counts["skipped_suppressed"],
            counts["write_requests"],
            json.dumps(planned),
            counts["message"],
            run_id,
        ],
    )


def _temp_rows(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]) -> None:
    """Temp table `name` from equally long Python lists (zipped with unnest)."""
    select = ", ".join(f"CAST(unnest(${c}) AS VARCHAR) AS {c}" for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}", columns)


def _upsert_rows(
    con: duckdb.DuckDBPyConnection, sync_name: str, columns: dict[str, list], set_sql: str
) -> None:
    _temp_rows(con, "_state_batch", columns)
    con.execute(
        "INSERT INTO activation.sync_records AS r (sync_name, record_key, status, pending_op, "
        "pending_hash, batch_id, last_error, updated_at) "
        "SELECT $sync, record_key, status, pending_op, pending_hash, batch_id, last_error, $now "
        "FROM _state_batch "
        f"ON CONFLICT (sync_name, record_key) DO UPDATE SET {set_sql}",
        {"sync": sync_name, "now": now()},
    )


def mark_pending(
    con: duckdb.DuckDBPyConnection,
    sync_name: str,
    batch_id: str,
    rows: list[tuple[str, str, str | None]],
) -> None:
    """Write-ahead: rows (key, op, new hash) are about to be sent in batch `batch_id`."""
    n = len(rows)
    columns = {
        "record_key": [r[0] for r in rows],
        "status": ["pending"] * n,
        "pending_op": [r[1] for r in rows],
        "pending_hash": [r[2] for r in rows],
        "batch_id": [batch_id] * n,
        "last_error": [None] * n,
    }
    _upsert_rows(
        con,
        sync_name,
        columns,
        "status = 'pending', pending_op = excluded.pending_op, "
        "pending_hash = excluded.pending_hash, batch_id = excluded.batch_id, "
        "updated_at = excluded.updated_at",
    )


def mark_batch_done(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    sync_name: str,
    batch_id: str,
    payloads: dict[str, str],
    failures: dict[str, str],
) -> None:
    """After the provider answered: confirm the batch except `failures` (key -> error).

    Confirmed upserts get their pending hash and payload; confirmed removals lose theirs.
    `payloads` maps record key -> payload JSON for upserts in this batch.
    """
    con.execute("BEGIN")
    try:
        if failures:
            _temp_rows(
                con, "_failed", {"record_key": list(failures), "error": list(failures.values())}
            )
            con.execute(
                "UPDATE activation.sync_records r SET status = 'failed', last_error = f.error, "
                "updated_at = ? FROM _failed f WHERE r.sync_name = ? AND r.batch_id = ? "
                "AND r.record_key = f.record_key",
                [now(), sync_name, batch_id],
            )
            con.execute(
                "INSERT INTO activation.sync_row_errors SELECT ?, ?, f.record_key, r.pending_op, "
                "f.error, ? FROM _failed f JOIN activation.sync_records r "
                "ON r.sync_name = ? AND r.record_key = f.record_key",
                [run_id, sync_name, now(), sync_name],
            )
        if payloads:
            _temp_rows(
                con, "_payloads", {"record_key": list(payloads), "payload": list(payloads.values())}
            )
            con.execute(
                "UPDATE activation.sync_records r SET payload = p.payload FROM _payloads p "
                "WHERE r.sync_name = ? AND r.batch_id = ? AND r.status = 'pending' "
                "AND r.record_key = p.record_key",
                [sync_name, batch_id],
            )
        con.execute(
            "UPDATE activation.sync_records SET "
            "status = CASE WHEN pending_op = 'remove' THEN 'removed' ELSE 'synced' END, "
            "fields_hash = CASE WHEN pending_op = 'remove' THEN NULL ELSE pending_hash END, "
            "payload = CASE WHEN pending_op = 'remove' THEN NULL ELSE payload END, "
            "last_error = NULL, updated_at = ? "
            "WHERE sync_name = ? AND batch_id = ? AND status = 'pending'",
            [now(), sync_name, batch_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def mark_status(
    con: duckdb.DuckDBPyConnection, sync_name: str, statuses: dict[str, str], status: str
) -> None:
    """Set `status` with a reason (key -> text) on rows not sent this run (e.g. suppressed)."""
    if not statuses:
        return
    n = len(statuses)
    columns = {
        "record_key": list(statuses),
        "status": [status] * n,
        "pending_op": [None] * n,
        "pending_hash": [None] * n,
        "batch_id": [None] * n,
        "last_error": list(statuses.values()),
    }
    _upsert_rows(
        con,
        sync_name,
        columns,
        "status = excluded.status, last_error = excluded.last_error, "
        "updated_at = excluded.updated_at",
    )
