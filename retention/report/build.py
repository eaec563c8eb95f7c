"""Assemble the report from the warehouse and write it as one self-contained HTML file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from retention.report import html, queries
from retention.report.labels import Money
from retention.report.model import Report
from retention.report.reader import has_table, read_only
from retention.report.sections import build_sections


@dataclass(frozen=True)
class ReportResult:
    """Where the report was written and which sections had data."""

    path: Path
    sections_with_data: list[str]
    sections_missing: dict[str, str]


def build_report(db_path: Path) -> Report:
    """Read the warehouse at `db_path` (read-only) and assemble the report."""
    with read_only(db_path) as con:
        money, currency_note, notes = _currency(con)
        sections = build_sections(con, money)
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
                ("net revenue", money(numbers["revenue"])),
                ("as of", as_of),
            ]
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    return Report(
        title="Retention report",
        subtitle=f"Data as of {as_of} · generated {generated}{currency_note}",
        stats=stats,
        sections=sections,
        notes=notes,
    )


def _currency(con) -> tuple[Money, str, list[str]]:
    """Money in the currency of most revenue, the subtitle's note and, for several currencies,
    what that means for the figures and what to do about it.

    The marts add order amounts as they are (no exchange rates), so the note says so.
    """
    if not has_table(con, "marts", "fct_orders"):
        return Money(None), "", []
    df = queries.currencies(con)
    if df.empty:
        return Money(None), "", []
    main = str(df.iloc[0]["currency"])
    if len(df) == 1:
        return Money(main), f" · amounts in {main}", []
    others = ", ".join(str(c) for c in df["currency"].iloc[1:] if c)
    share = 1 - float(df.iloc[0]["orders"]) / float(df["orders"].sum())
    advice = (
        f"Mixed currencies: {share:.0%} of orders were paid in {others} and are added to "
        f"{main} amounts as they are, without exchange rates, so every revenue and value figure "
        f"here is a mix of currencies and overstates or understates the true {main} total. "
        f"Compare segments and audiences with each other rather than reading totals as {main}, "
        "and ask the data team to add currency conversion to the order data (or to report "
        "each currency separately) before using revenue for budgets."
    )
    return (
        Money(main),
        f" · amounts in {main}, mixed with {others} (see below)",
        [advice],
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
