"""The report's dbt views (`marts.rpt_sync_history`) on a small test warehouse without a build.

dbt creates the view once per test process on an empty warehouse (its run-start macro creates
the activation tables the view reads); `create_report_views` replays dbt's own view SQL on the
test's warehouse. Views name their catalog, so that warehouse must be called retention.duckdb.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import duckdb
from dbt_command import WAREHOUSE_NAME, dbt

VIEWS = ("rpt_sync_history",)


@cache
def _view_sql() -> tuple[str, ...]:
    work = Path(tempfile.mkdtemp(prefix="report-views-"))
    db_path = work / WAREHOUSE_NAME
    duckdb.connect(str(db_path)).close()
    dbt("run", db_path, work, "--select", *VIEWS)
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "select sql from duckdb_views() where schema_name = 'marts' and view_name in "
            f"({', '.join('?' for _ in VIEWS)})",
            list(VIEWS),
        ).fetchall()
    assert len(rows) == len(VIEWS), rows
    return tuple(r[0] for r in rows)


def create_report_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the report's dbt views (as dbt compiled them) in `con`'s warehouse."""
    con.execute("create schema if not exists marts")
    for sql in _view_sql():
        con.execute(sql)
