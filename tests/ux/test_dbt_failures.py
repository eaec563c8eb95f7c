"""A failing dbt test prints the failing node, test and dbt's message in the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli.cli_run import run_cli

from orchestration.defs.dbt.failures import dbt_failures
from ux.conftest import cli_env

FAILING_TEST = "select * from {{ ref('stg_shop__orders') }} where status = 'cancelled'\n"


@pytest.mark.slow
def test_build_prints_the_failing_dbt_test(project: Path, warehouse: Path, tmp_path: Path) -> None:
    (project / "tests" / "assert_no_cancelled_orders.sql").write_text(FAILING_TEST)
    done = run_cli("build", env=cli_env(project, warehouse, tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    failed = [line for line in lines if "assert_no_cancelled_orders" in line and "failed:" in line]
    assert failed, done.stdout
    assert "tests/assert_no_cancelled_orders.sql" in failed[0]
    assert "Got " in failed[0] and "results, configured to fail if != 0" in failed[0]
    assert "The dbt CLI process with command" not in done.stdout


def test_contract_error_is_one_line_with_model_and_file() -> None:
    nodes = {
        "model.p.aud_x": {
            "resource_type": "model",
            "name": "aud_x",
            "original_file_path": "models/audiences/aud_x.sql",
        }
    }
    results = {
        "results": [
            {"unique_id": "model.p.aud_x", "status": "error", "message": "Compilation Error\n"
             "  This model has an enforced contract that failed.\n  | column | type |"},
            {"unique_id": "test.p.unique_aud_x_id", "status": "warn", "message": "Got 1 result"},
            {"unique_id": "model.p.ok", "status": "success", "message": "OK"},
        ]
    }  # fmt: skip
    assert dbt_failures(results, nodes) == [
        "model aud_x (models/audiences/aud_x.sql) error: Compilation Error This model has an "
        "enforced contract that failed. | column | type |"
    ]
