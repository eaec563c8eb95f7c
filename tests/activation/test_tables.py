"""Activation's tables are declared once (`_activation__sources.yml`): Python creates them from
it, migrates an older warehouse by adding the columns it lacks, and dbt's run-start macro
creates the same columns and keys."""

from __future__ import annotations

import duckdb
from dbt_command import WAREHOUSE_NAME, dbt

from activation import state
from activation.tables import declared_tables, ensure_tables


def _schema(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Table -> [(column, type)] in schema `activation`, in column order."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'activation' ORDER BY table_name, ordinal_position"
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, kind))
    return found


def _keys(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
        "WHERE schema_name = 'activation' AND constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    return {table: list(columns) for table, columns in rows}


def _declared() -> dict[str, list[tuple[str, str]]]:
    return {
        name: [(c.name, c.data_type) for c in table.columns]
        for name, table in declared_tables().items()
    }


DECLARED_KEYS = {
    name: list(table.meta["primary_key"])
    for name, table in declared_tables().items()
    if table.meta.get("primary_key")
}


def test_python_creates_every_declared_table_with_its_types_and_key():
    con = duckdb.connect()
    ensure_tables(con)
    ensure_tables(con)  # idempotent
    assert _schema(con) == _declared()
    assert _keys(con) == DECLARED_KEYS
    assert {"sync_runs", "sync_records", "sync_messages", "build_runs"} <= set(DECLARED_KEYS)


def test_an_older_warehouse_gets_the_missing_columns_and_keeps_its_rows():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA activation")
    con.execute(  # sync_runs as the first release made it
        "CREATE TABLE activation.sync_runs (run_id VARCHAR PRIMARY KEY, sync_name VARCHAR, "
        "destination VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, "
        "dry_run BOOLEAN, added INTEGER, updated INTEGER, removed INTEGER, failed INTEGER, "
        "skipped_no_consent INTEGER, skipped_suppressed INTEGER, write_requests INTEGER, "
        "planned JSON, message VARCHAR)"
    )
    con.execute("INSERT INTO activation.sync_runs (run_id, status) VALUES ('r1', 'success')")
    ensure_tables(con)
    assert _schema(con)["sync_runs"] == _declared()["sync_runs"]
    assert con.execute("SELECT run_id, status, owner FROM activation.sync_runs").fetchall() == [
        ("r1", "success", None)
    ]
    run_id = state.start_run(con, "s", "file", dry_run=False)  # the new columns are usable
    owner = con.execute("SELECT owner FROM activation.sync_runs WHERE run_id = ?", [run_id])
    assert owner.fetchone()[0]


def test_dbt_creates_the_same_tables_before_any_sync(tmp_path):
    db_path = tmp_path / WAREHOUSE_NAME
    duckdb.connect(str(db_path)).close()
    dbt("run-operation", db_path, tmp_path, "create_missing_activation_tables")
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert _schema(con) == _declared()
        assert _keys(con) == DECLARED_KEYS
