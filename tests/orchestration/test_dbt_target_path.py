"""dbt keeps one target folder per warehouse, so later builds reuse its partial parse."""

from __future__ import annotations

from pathlib import Path

from orchestration.defs.dbt.resources import BuildOptions


def test_one_folder_per_warehouse_and_target(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    first = BuildOptions().dbt_target_path(project, tmp_path / "a" / "retention.duckdb")
    assert first.parent == project / "target" / "warehouses"
    assert first.name.startswith("retention-")
    assert (
        BuildOptions(as_of_date="2024-03-01").dbt_target_path(
            project, tmp_path / "a" / ".." / "a" / "retention.duckdb"
        )
        == first
    )  # the same file, whatever the as-of date or spelling of the path
    assert BuildOptions().dbt_target_path(project, tmp_path / "b" / "retention.duckdb") != first
    assert (
        BuildOptions(dbt_target="spark").dbt_target_path(
            project, tmp_path / "a" / "retention.duckdb"
        )
        != first
    )


def test_the_previous_runs_results_are_removed(tmp_path: Path) -> None:
    options = BuildOptions()
    folder = options.dbt_target_path(tmp_path, tmp_path / "w.duckdb")
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text("{}")
    (folder / "partial_parse.msgpack").write_bytes(b"kept")
    assert options.dbt_target_path(tmp_path, tmp_path / "w.duckdb") == folder
    assert not (folder / "run_results.json").exists()
    assert (folder / "partial_parse.msgpack").read_bytes() == b"kept"
