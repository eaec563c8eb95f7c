"""The session's Dagster build parses the dbt project once: later dbt steps reuse the parse."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from orchestration.defs.dbt.resources import BuildOptions
from retention.core.settings import DBT_PROJECT_DIR


def _parse_messages(folder: Path) -> dict[str, list[str]]:
    """dbt's parse log lines per invocation id, from the folder's (rotated) dbt.log files."""
    messages: dict[str, list[str]] = defaultdict(list)
    for log in sorted(folder.glob("dbt.log*")):
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue  # Dagster runs dbt with JSON logs; anything else is not an event
            event = json.loads(line)["info"]
            if "partial parsing" in event["msg"].lower():
                messages[event["invocation_id"]].append(event["msg"])
    return messages


@pytest.mark.slow
@pytest.mark.xdist_group("report")
def test_later_dbt_steps_of_the_build_skip_parsing(pipeline) -> None:
    folder = BuildOptions().dbt_target_path(DBT_PROJECT_DIR, pipeline.db_path)
    invocations = _parse_messages(folder)
    full = [i for i, lines in invocations.items() if any("Unable to" in m for m in lines)]
    reused = [i for i, lines in invocations.items() if any("no changes found" in m for m in lines)]
    assert len(invocations) >= 2, invocations  # dbt ran before and after the ML steps
    assert len(full) <= 1 and reused, invocations
