"""Bounded memory for DuckDB: a memory limit and a spill folder, the same for dbt and Python.

env `RETENTION_DUCKDB_MEMORY_LIMIT` (default 6GB; DuckDB's size syntax, e.g. 4GB, 12GiB) caps
what one process's DuckDB holds in memory; large joins, sorts and aggregates beyond it spill to
`RETENTION_DUCKDB_TEMP_DIR` (default: DuckDB's own, `<warehouse file>.tmp` next to the file).
dbt_project/profiles.yml reads the same variables.
"""

from __future__ import annotations

import os

import duckdb

DEFAULT_MEMORY_LIMIT = "6GB"


def memory_settings() -> dict[str, str]:
    """DuckDB settings from the environment: memory_limit always, temp_directory when set."""
    limit = os.environ.get("RETENTION_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    settings = {"memory_limit": limit}
    temp_dir = os.environ.get("RETENTION_DUCKDB_TEMP_DIR")
    if temp_dir:
        settings["temp_directory"] = temp_dir
    return settings


def apply_memory_settings(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """SET the memory settings on an open connection (not as connect() config: DuckDB refuses a
    second connection to a file with another config) and return it."""
    for name, value in memory_settings().items():
        con.execute(f"set {name} = ?", [value])
    return con
