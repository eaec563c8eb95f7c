"""DuckDB memory is bounded the same way on Python connections and in the dbt profile."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from retention.core.duckdb_memory import DEFAULT_MEMORY_LIMIT, apply_memory_settings
from retention.core.lock import connect

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def test_connections_take_limit_and_spill_folder_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("RETENTION_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    with connect(tmp_path / "w.duckdb") as con:
        limit, temp = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert limit == "286.1 MiB" and temp == str(tmp_path / "spill")  # 300 MB in MiB
    monkeypatch.delenv("RETENTION_DUCKDB_MEMORY_LIMIT")
    with apply_memory_settings(duckdb.connect()) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "5.5 GiB"


def test_dbt_profile_reads_the_same_settings() -> None:
    settings = yaml.safe_load(PROFILES.read_text())["retention_warehouse"]["outputs"]["duckdb"][
        "settings"
    ]
    assert (
        f"env_var('RETENTION_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}')"
        in (settings["memory_limit"])
    )
    assert "env_var('RETENTION_DUCKDB_TEMP_DIR'" in settings["temp_directory"]
