"""Set-based row rules as SQL: parse VARCHAR input into contract types and name what is wrong.

Each function returns an SQL expression over one VARCHAR column, so a whole file is parsed and
checked in one DuckDB statement (no row-by-row Python).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from retention.core.raw_contract import TableSpec
from retention.ingest.dates import (
    plausible_reason,
    slash_order_reason,
    timestamp_expr,
)
from retention.ingest.options import EARLIEST_AT
from retention.ingest.raw_tables import literal

TRUE_WORDS = ("true", "yes", "y", "t", "1")
FALSE_WORDS = ("false", "no", "n", "f", "0")
CONSENT_COLUMNS = ("email_consent", "sms_consent", "whatsapp_consent")
# Dates that may lie before 1970; they are only checked against the future.
NO_EARLIEST = ("birth_date",)
DECIMAL_COMMA = "^[+-]?[0-9]+,[0-9]+$"


@dataclass(frozen=True)
class DateRules:
    """How a file's dates are read and checked: day/month order and the latest plausible time."""

    order: str | None
    latest_at: datetime


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def parse_expr(
    column: str, dtype: str, src: str, order: str | None = None, trimmed: bool = False
) -> str:
    """Typed value of VARCHAR expression `src` for contract column `column`, NULL if unparseable.

    Timestamps are converted to UTC when they carry an offset; slash dates are read in `order`.
    `trimmed` says `src` is already trimmed and NULL when blank.
    """
    value = src if trimmed else f"nullif(trim({src}), '')"
    if column in CONSENT_COLUMNS:
        return (
            f"CASE WHEN lower({value}) IN {_in_list(TRUE_WORDS)} THEN 'subscribed' "
            f"WHEN lower({value}) IN {_in_list(FALSE_WORDS)} THEN 'not_subscribed' "
            f"ELSE replace(lower({value}), '-', '_') END"
        )
    if dtype == "TIMESTAMP":
        return timestamp_expr(value, order)
    if dtype == "DATE":
        return f"CAST({timestamp_expr(value, order)} AS DATE)"
    if dtype == "JSON":
        return f"CASE WHEN json_valid({value}) THEN CAST({value} AS JSON) END"
    if dtype == "VARCHAR":
        return f"nullif({src}, '')"
    return f"try_cast({value} AS {dtype})"


def _shown(src: str) -> str:
    """The offending input value, quoted and cut to 80 characters, for a reason text."""
    return f"'''' || left({src}, 80) || ''''"


def reason_expr(
    spec: TableSpec,
    sources: dict[str, str],
    parsed: dict[str, str],
    before: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
    dates: DateRules | None = None,
    nul_bytes: bool = True,
) -> str:
    """First failing rule of a row as text, NULL when the row is valid.

    `sources` maps each contract column to its VARCHAR input expression (NULL when the file
    lacks the column); `parsed` maps it to the typed expression. `before`/`after` are extra
    `WHEN ... THEN ...` clauses of an adapter, checked before/after the contract rules.
    `dates` adds the day/month order and plausible range checks of date columns;
    `nul_bytes` (False when the file has none) adds the NUL byte check.
    """
    whens: list[str] = [
        f"WHEN strpos({src}, chr(0)) > 0 THEN 'NUL byte in {col} (file damaged or not UTF-8)'"
        for col, src in sources.items()
        if src != "NULL" and nul_bytes
    ]
    whens += before
    for col in spec.required:
        whens.append(
            f"WHEN nullif(trim({sources[col]}), '') IS NULL "
            f"THEN {literal(f'missing required value: {col}')}"
        )
    for col, dtype in spec.columns.items():
        if dtype == "VARCHAR":
            continue
        src, typed = sources[col], parsed[col]
        if dtype in ("TIMESTAMP", "DATE"):
            slash = slash_order_reason(col, src, typed, dates.order) if dates else None
            whens += [slash] if slash else []
            what = f"'unparseable date in {col}: ' || {_shown(src)}"
        elif dtype == "JSON":
            what = f"'type error in {col}: invalid JSON ' || {_shown(src)}"
        else:
            whens.append(
                f"WHEN {typed} IS NULL AND regexp_matches(trim({src}), '{DECIMAL_COMMA}') "
                f"THEN 'decimal comma in {col}: ' || {_shown(src)} || ' (use a decimal point)'"
            )
            what = f"'type error in {col}: ' || {_shown(src)} || ' is not {dtype}'"
        whens.append(f"WHEN nullif(trim({src}), '') IS NOT NULL AND {typed} IS NULL THEN {what}")
    if dates is not None:
        whens += [
            plausible_reason(
                col,
                sources[col],
                parsed[col],
                None if col in NO_EARLIEST else EARLIEST_AT,
                dates.latest_at,
            )
            for col, dtype in spec.columns.items()
            if dtype in ("TIMESTAMP", "DATE") and sources[col] != "NULL"
        ]
    for col in spec.non_negative:
        whens.append(
            f"WHEN {parsed[col]} < 0 THEN 'negative value in {col}: ' || {_shown(sources[col])}"
        )
    for col, accepted in spec.accepted_values.items():
        expected = "|".join(accepted)
        whens.append(
            f"WHEN {parsed[col]} NOT IN {_in_list(accepted)} THEN "
            f"'value not in accepted set for {col}: ' || {_shown(sources[col])} "
            f"|| ' (expected {expected})'"
        )
    for col, (low, high) in spec.int_ranges.items():
        whens.append(
            f"WHEN {parsed[col]} NOT BETWEEN {low} AND {high} THEN "
            f"'value out of range for {col}: ' || {_shown(sources[col])} "
            f"|| ' (expected {low}-{high})'"
        )
    whens.extend(after)
    if not whens:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(whens) + " END"


def csv_text_expr(values: list[str], delimiter: str) -> str:
    """Re-serialise VARCHAR expressions as one CSV line (quoting where needed) for raw_text."""
    quoted = [
        f"CASE WHEN {v} IS NULL THEN '' "
        f"WHEN regexp_matches({v}, '[\"\\n\\r{_regex_escape(delimiter)}]') "
        f"THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END"
        for v in values
    ]
    return f"concat_ws({literal(delimiter)}, " + ", ".join(quoted) + ")"


def _regex_escape(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else "\\" + delimiter
