"""Fixtures for the Dagster orchestration tests: isolated DAGSTER_HOME and a sample store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway DAGSTER_HOME so tests never touch the developer's instance."""
    home = tmp_path_factory.mktemp("dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def defs():
    """The project's Definitions, resolved (the suite parsed the dbt project at start)."""
    import dagster as dg

    from orchestration.definitions import defs

    with dg.instance_for_test():  # resolve once, against a live defs-state storage
        defs.get_repository_def()
    return defs
