"""The fast path builds as of the latest landed data; it refuses a warehouse pinned in the past.

The fast path rebuilds `marts.as_of_date` with its default (the day after the latest raw order),
the same value an unpinned daily build computes from the same rows, so it never moves the as-of
backwards, and ML scores (left out of the fast path) stay the daily build's until it runs again.
A warehouse whose last successful full build was pinned (`--as-of`, a point-in-time backtest)
would have its as-of moved to the present, so the fast path refuses it in one line.
"""

import duckdb

from orchestration.defs.triggered.selection import INGEST_AND_TRIGGER_JOB, TRIGGERED_JOB
from retention.core.errors import UserError

FAST_JOBS = (TRIGGERED_JOB, INGEST_AND_TRIGGER_JOB)


def pinned_as_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The as-of date of the latest successful full build if it was pinned, else None."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'activation' AND table_name = 'build_runs'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(
        "SELECT as_of_date FROM activation.build_runs WHERE status = 'success' "
        "AND job NOT IN (SELECT unnest(?)) ORDER BY started_at DESC LIMIT 1",
        [list(FAST_JOBS)],
    ).fetchone()
    return None if row is None or row[0] is None else row[0].isoformat()


def refuse_pinned(con: duckdb.DuckDBPyConnection) -> None:
    """UserError when the warehouse was last built pinned to a past as-of date."""
    pinned = pinned_as_of(con)
    if pinned is not None:
        raise UserError(
            f"the last build was pinned with --as-of {pinned}; the triggered fast path builds "
            "as of the latest data and would move it: run `retention build` without --as-of first"
        )
