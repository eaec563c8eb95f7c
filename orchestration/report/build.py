"""Assemble the report from the warehouse and write it as one self-contained HTML file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.report import html, queries
from orchestration.report.model import Report
from orchestration.report.sections import build_sections
from orchestration.report.warehouse import has_table, read_only


@dataclass(frozen=True)
class ReportResult:
    """Where the report was written and which sections had data."""

    path: Path
    sections_with_data: list[str]
    sections_missing: dict[str, str]


def build_report(db_path: Path) -> Report:
    """Read the warehouse at `db_path` (read-only) and assemble the report."""
    with read_only(db_path) as con:
        sections = build_sections(con)
        stats: list[tuple[str, str]] = []
        as_of = "unknown"
        if has_table(con, "marts", "as_of_date"):
            as_of = queries.as_of_date(con)
        if has_table(con, "marts", "dim_customers") and has_table(con, "marts", "fct_orders"):
            numbers = queries.headline(con)
            stats = [
                ("customers", f"{numbers['customers']:,}"),
                ("buying customers", f"{numbers['buyers']:,}"),
                ("orders", f"{numbers['orders']:,}"),
                ("net revenue", f"{numbers['revenue']:,.0f}"),
                ("as of", as_of),
            ]
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    return Report(
        title="Retention report",
        subtitle=f"Warehouse {db_path} · data as of {as_of} · generated {generated}",
        stats=stats,
        sections=sections,
    )


def write_report(db_path: Path, output: Path) -> ReportResult:
    """Render the report for the warehouse at `db_path` into one self-contained HTML file."""
    report = build_report(db_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html.render(report), encoding="utf-8")
    return ReportResult(
        path=output.resolve(),
        sections_with_data=[s.key for s in report.sections if not s.missing],
        sections_missing={s.key: s.missing for s in report.sections if s.missing},
    )
