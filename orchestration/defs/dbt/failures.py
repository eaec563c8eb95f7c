"""What failed in a dbt run, one line per node, read from dbt's run_results.json.

dagster-dbt's own error names only the dbt command; the cause (which test or model, and dbt's
message) is in run_results.json, so the build step fails with these lines instead. Under a
failed data test come its first failing rows: the test's compiled query (in run_results.json)
run again against the warehouse, as `dbt show` would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

FAILED_STATUSES = ("error", "fail", "runtime error")
MAX_MESSAGE = 400
MAX_ROWS = 3  # failing rows shown per failed test

log = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    squeezed = " ".join(text.split())
    return squeezed if len(squeezed) <= MAX_MESSAGE else squeezed[: MAX_MESSAGE - 3] + "..."


def _describe(unique_id: str, nodes: Mapping[str, Any]) -> str:
    """`test not_null_x_y on model x (models/marts/x.yml)` or `model x (models/marts/x.sql)`."""
    node = nodes.get(unique_id) or {}
    kind = node.get("resource_type") or unique_id.split(".", 1)[0]
    name = node.get("name") or unique_id.rsplit(".", 1)[-1]
    where = node.get("original_file_path")
    text = f"{kind} {name}"
    attached = node.get("attached_node")
    if kind == "test" and attached:
        text += f" on {attached.split('.')[0]} {attached.rsplit('.', 1)[-1]}"
    return f"{text} ({where})" if where else text


def dbt_failures(run_results: Mapping[str, Any], nodes: Mapping[str, Any]) -> list[str]:
    """One line per failed or errored node of a dbt run: what it is, where, and dbt's message.

    `nodes` is the manifest's `nodes` mapping (unique_id -> node), for names and file paths.
    """
    lines = []
    for result in run_results.get("results", []):
        status = str(result.get("status", ""))
        if status not in FAILED_STATUSES:
            continue
        message = _one_line(str(result.get("message") or status))
        verb = "failed" if status == "fail" else "error"
        lines.append(f"{_describe(result['unique_id'], nodes)} {verb}: {message}")
    return lines


def failing_rows(
    run_results: Mapping[str, Any], query: Callable[[str], list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Failed data test unique_id -> its first MAX_ROWS failing rows, from `query(sql)` run on
    the test's compiled SQL. A query that cannot run again is logged and left out: the test's
    own line still says what failed."""
    rows = {}
    for result in run_results.get("results", []):
        sql = result.get("compiled_code")
        if result.get("status") != "fail" or not result["unique_id"].startswith("test.") or not sql:
            continue
        try:
            rows[result["unique_id"]] = query(
                f"select * from ({sql.strip().rstrip(';')}) as failing limit {MAX_ROWS}"
            )
        except Exception as error:  # noqa: BLE001 - any engine error; the failure is reported
            log.warning("could not read the failing rows of %s: %s", result["unique_id"], error)
    return rows


def _row_line(row: Mapping[str, Any]) -> str:
    return _one_line(", ".join(f"{column}={value!r}" for column, value in row.items()))


def dbt_failure_message(
    run_results: Mapping[str, Any],
    nodes: Mapping[str, Any],
    rows: Mapping[str, list[dict[str, Any]]] | None = None,
) -> str:
    """The build step's error: a headline, then each failed node on its own line, with the first
    failing rows of a failed test (`rows`, from `failing_rows`) under it."""
    rows = rows or {}
    failed = [r for r in run_results.get("results", []) if r.get("status") in FAILED_STATUSES]
    lines = dbt_failures(run_results, nodes)
    if not lines:
        return "dbt build failed (no failed node in run_results.json; see the log)"
    noun = "node" if len(lines) == 1 else "nodes"
    out = [f"dbt build failed: {len(lines)} {noun}"]
    for result, line in zip(failed, lines, strict=True):
        out.append(f"  {line}")
        sample = rows.get(result["unique_id"])
        if sample:
            total = result.get("failures")
            of = f" of {total:,}" if isinstance(total, int) else ""
            out.append(f"    first {len(sample)}{of} failing rows:")
            out += [f"      {_row_line(row)}" for row in sample]
    return "\n".join(out)
