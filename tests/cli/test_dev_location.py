"""`retention dev` and `dg dev` load the code location under one name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from retention.cli.dev import CODE_LOCATION, dagster_dev_command, write_workspace
from retention.core.settings import PROJECT_ROOT


def test_dagster_dev_loads_the_location_named_in_tool_dg(tmp_path: Path) -> None:
    dg_project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dg"]
    workspace = write_workspace(tmp_path)
    (entry,) = yaml.safe_load(workspace.read_text())["load_from"]
    location = entry["python_module"]
    assert location["location_name"] == dg_project["project"]["code_location_name"]
    target = dg_project["project"]["code_location_target_module"]
    assert location["module_name"] == CODE_LOCATION == target
    command = dagster_dev_command("127.0.0.1", 3000, workspace)
    assert command[-2:] == ["-w", str(workspace)] and "-m" not in command
