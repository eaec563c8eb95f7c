"""What failed in a dbt run, one line per node, read from dbt's run_results.json.

dagster-dbt's own error names only the dbt command; the cause (which test or model, and dbt's
message) is in run_results.json, so the build step fails with these lines instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FAILED_STATUSES = ("error", "fail", "runtime error")
MAX_MESSAGE = 400


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


def dbt_failure_message(run_results: Mapping[str, Any], nodes: Mapping[str, Any]) -> str:
    """The build step's error: a headline, then each failed node on its own line."""
    lines = dbt_failures(run_results, nodes)
    if not lines:
        return "dbt build failed (no failed node in run_results.json; see the log)"
    noun = "node" if len(lines) == 1 else "nodes"
    return "\n".join([f"dbt build failed: {len(lines)} {noun}", *(f"  {line}" for line in lines)])
