"""A failing dbt test prints the failing node, test and dbt's message in the console."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from cli.cli_run import run_cli

from orchestration.defs.dbt.failures import dbt_failure_message, dbt_failures, failing_rows
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
    at = lines.index(failed[0])
    assert "failing rows:" in lines[at + 1], done.stdout
    assert "status='cancelled'" in lines[at + 2], done.stdout  # a bad row, its columns named


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


def test_failed_test_shows_its_first_failing_rows() -> None:
    con = duckdb.connect()
    con.execute("create table orders as select * from (values (1, 'placed'), (2, 'bogus'), "
                "(3, 'nope'), (4, 'odd'), (5, 'weird')) t(order_id, status)")  # fmt: skip
    nodes = {
        "test.p.accepted_values_orders_status": {
            "resource_type": "test",
            "name": "accepted_values_orders_status",
            "original_file_path": "models/o.yml",
        }
    }
    results = {"results": [
        {"unique_id": "test.p.accepted_values_orders_status", "status": "fail", "failures": 4,
         "message": "Got 4 results, configured to fail if != 0",
         "compiled_code": "select * from orders where status <> 'placed';"},
        {"unique_id": "test.p.broken", "status": "fail", "compiled_code": "select * from nope"},
        {"unique_id": "model.p.orders", "status": "success", "compiled_code": "select 1"},
    ]}  # fmt: skip

    def query(sql: str) -> list[dict]:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    rows = failing_rows(results, query)
    assert set(rows) == {"test.p.accepted_values_orders_status"}  # the broken query is left out
    message = dbt_failure_message(results, nodes, rows).splitlines()
    assert message[2:6] == [
        "    first 3 of 4 failing rows:",
        "      order_id=2, status='bogus'",
        "      order_id=3, status='nope'",
        "      order_id=4, status='odd'",
    ]
