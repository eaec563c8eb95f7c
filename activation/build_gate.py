"""Syncs only push audiences from a finished, successful build with a sensible as-of date.

Every pipeline run that builds (`retention build`, `run`, `demo`) records a row in
`activation.build_runs`: `running` when it starts, then `success` or `failed` (a failed step or
a failed blocking check). `refusal` is asked before every sync, by the CLI and by the Dagster
sync assets alike (both call `run_sync`): a sync refuses while the latest build failed or never
finished (killed), and refuses audiences built as of a future date. Syncs running inside a build
(`within_build`: the pipeline run, or a Dagster run that materialized the audience itself, where
Dagster already skips syncs downstream of a failure) skip the build-status check.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import duckdb

from activation import state
from activation.tables import ensure_tables

BUILD_ID_ENV = "RETENTION_BUILD_ID"  # set while a build runs in this process


def start_build(con: duckdb.DuckDBPyConnection, job: str, as_of: str | None) -> str:
    """Record a `running` build of `job` and export its id to this process; return the id."""
    ensure_tables(con)
    build_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO activation.build_runs (build_id, job, as_of_date, status, started_at) "
        "VALUES (?, ?, ?, 'running', ?)",
        [build_id, job, as_of, state.now()],
    )
    os.environ[BUILD_ID_ENV] = build_id
    return build_id


def finish_build(
    con: duckdb.DuckDBPyConnection, build_id: str, success: bool, problems: Iterable[str]
) -> None:
    """Record the outcome of build `build_id` (failed: `problems` says why)."""
    os.environ.pop(BUILD_ID_ENV, None)
    message = "; ".join(problems)[:2000] or None
    con.execute(
        "UPDATE activation.build_runs SET status = ?, finished_at = ?, message = ? "
        "WHERE build_id = ?",
        ["success" if success else "failed", state.now(), message, build_id],
    )


@contextmanager
def within_build(build_id: str) -> Iterator[None]:
    """Syncs in this block push what build `build_id` (running now) built."""
    previous = os.environ.get(BUILD_ID_ENV)
    os.environ[BUILD_ID_ENV] = build_id
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(BUILD_ID_ENV, None)
        else:
            os.environ[BUILD_ID_ENV] = previous


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def refusal(con: duckdb.DuckDBPyConnection, sync_name: str) -> str | None:
    """Why sync `sync_name` must not send the audiences in the warehouse now, or None."""
    if not os.environ.get(BUILD_ID_ENV) and _table_exists(con, "activation", "build_runs"):
        latest = con.execute(
            "SELECT build_id, job, status, started_at, message FROM activation.build_runs "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        if latest:
            _, job, status, started_at, message = latest
            when = f"build '{job}' started {started_at:%Y-%m-%d %H:%M} UTC"
            if status == "failed":
                return (
                    f"sync '{sync_name}': the last {when} failed ({message or 'see its log'}); "
                    "nothing was sent. Fix it and run `retention build` before syncing"
                )
            if status == "running":
                return (
                    f"sync '{sync_name}': the last {when} never finished (killed or still "
                    "running); nothing was sent. Run `retention build` again before syncing"
                )
    if _table_exists(con, "marts", "as_of_date"):
        row = con.execute("SELECT max(as_of_date) FROM marts.as_of_date").fetchone()
        as_of = row[0] if row else None
        tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
        if as_of is not None and as_of > tomorrow:
            return (
                f"sync '{sync_name}': the audiences were built as of {as_of}, a future date; "
                "nothing was sent. Rebuild with `retention build` (no --as-of, or a past one)"
            )
    return None
