"""How a sync run ends: failed when too many rows failed; runs killed mid-way become interrupted.

A run whose rows failed above a share (`max_failed_share` in the sync declaration, else env
`RETENTION_SYNC_MAX_FAILED_SHARE`, default 0.1), or where every attempted row failed, is
`failed` (the CLI and the Dagster asset then fail), not `partial`.

A run is `running` in `activation.sync_runs` only while its process works on it; the next run of
the same sync marks any run still `running` as `interrupted`. Sync runs write under the
exclusive warehouse lock, and one process never runs the same sync twice at once, so such a row
can only be left by a process that died (kill -9, power loss).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import duckdb

from activation.errors import SyncConfigError
from activation.state import now

if TYPE_CHECKING:
    from activation.config import SyncConfig
    from activation.engine import SyncResult

MAX_FAILED_SHARE_ENV = "RETENTION_SYNC_MAX_FAILED_SHARE"
DEFAULT_MAX_FAILED_SHARE = 0.1


def max_failed_share(sync: SyncConfig) -> float:
    """The failed-row share above which a run of `sync` fails (its declaration, else env)."""
    if sync.max_failed_share is not None:
        return sync.max_failed_share
    raw = os.environ.get(MAX_FAILED_SHARE_ENV, "")
    if not raw:
        return DEFAULT_MAX_FAILED_SHARE
    try:
        share = float(raw)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise SyncConfigError(
            f"{MAX_FAILED_SHARE_ENV}={raw!r} is not a share between 0 and 1; set e.g. 0.1"
        )
    return share


def apply_failure_threshold(result: SyncResult, sync: SyncConfig) -> None:
    """Turn a `partial` run of `result` into `failed` when too many of its rows failed."""
    if result.status != "partial" or result.failed == 0:
        return
    attempted = result.added + result.updated + result.removed + result.failed
    share = result.failed / attempted
    limit = max_failed_share(sync)
    if share <= limit and result.failed < attempted:
        return
    result.status = "failed"
    result.errors.insert(
        0,
        f"sync '{sync.name}': {result.failed} of {attempted} rows failed ({share:.0%}), above "
        f"max_failed_share {limit:.0%}; see activation.sync_row_errors for run {result.run_id}, "
        "fix the cause and rerun (failed rows are retried)",
    )


def mark_interrupted(con: duckdb.DuckDBPyConnection, sync_name: str) -> int:
    """Mark runs of `sync_name` left `running` by a dead process as `interrupted`; their count."""
    rows = con.execute(
        "UPDATE activation.sync_runs SET status = 'interrupted', finished_at = ?, "
        "message = 'interrupted: the process stopped before the run finished; rows it left "
        "pending were resumed by the next run' "
        "WHERE sync_name = ? AND status = 'running' RETURNING run_id",
        [now(), sync_name],
    ).fetchall()
    return len(rows)
