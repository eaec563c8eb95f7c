"""Analysts add an RFM segment by adding a seed row; the build accepts the new name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ux.conftest import run_dbt

BIG_SPENDERS = "2,Big Spenders,3,5,1,5,5,5,Recent customers in the top spend quintile"


def add_rule(project: Path, row: str) -> None:
    """Insert `row` (priority p) into rfm_segment_rules.csv and renumber the rules after it."""
    seed = project / "seeds" / "rfm_segment_rules.csv"
    header, *rules = seed.read_text().splitlines()
    priority = int(row.split(",", 1)[0])
    renumbered = [
        f"{int(p) + 1},{rest}" if int(p) >= priority else f"{p},{rest}"
        for p, rest in (rule.split(",", 1) for rule in rules)
    ]
    seed.write_text(
        "\n".join([header, *renumbered[: priority - 1], row, *renumbered[priority - 1 :]]) + "\n"
    )


@pytest.mark.slow
def test_readme_big_spenders_row_builds(project: Path, warehouse: Path) -> None:
    add_rule(project, BIG_SPENDERS)
    done = run_dbt(project, warehouse, "build", "--select", "+customer_rfm")
    assert done.returncode == 0, done.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        segments = dict(
            con.execute(
                "select rfm_segment, count(*) from marts.customer_rfm group by 1"
            ).fetchall()
        )
    assert segments.get("Big Spenders", 0) > 0, segments
