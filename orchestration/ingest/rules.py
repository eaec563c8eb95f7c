"""Set-based row rules as SQL: parse VARCHAR input into contract types and name what is wrong.

Each function returns an SQL expression over one VARCHAR column, so a whole file is parsed and
checked in one DuckDB statement (no row-by-row Python).
"""

from __future__ import annotations

from orchestration.ingest.contract import TableSpec
from orchestration.ingest.warehouse import literal

# Accepted date formats after ISO 8601 (tried by a plain cast first). Day-first with a time,
# month-first without one, as the brief's sources use them; compact YYYYMMDD (CDNOW).
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%Y%m%d",
    "%d.%m.%Y",
)
TRUE_WORDS = ("true", "yes", "y", "t", "1")
FALSE_WORDS = ("false", "no", "n", "f", "0")
CONSENT_COLUMNS = ("email_consent", "sms_consent", "whatsapp_consent")


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def parse_expr(column: str, dtype: str, src: str) -> str:
    """Typed value of VARCHAR expression `src` for contract column `column`, NULL if unparseable."""
    value = f"nullif(trim({src}), '')"
    if column in CONSENT_COLUMNS:
        return (
            f"CASE WHEN lower({value}) IN {_in_list(TRUE_WORDS)} THEN 'subscribed' "
            f"WHEN lower({value}) IN {_in_list(FALSE_WORDS)} THEN 'not_subscribed' "
            f"ELSE replace(lower({value}), '-', '_') END"
        )
    if dtype == "TIMESTAMP":
        formats = "[" + ", ".join(literal(f) for f in DATE_FORMATS) + "]"
        return f"coalesce(try_cast({value} AS TIMESTAMP), try_strptime({value}, {formats}))"
    if dtype == "DATE":
        return f"CAST({parse_expr(column, 'TIMESTAMP', src)} AS DATE)"
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
) -> str:
    """First failing rule of a row as text, NULL when the row is valid.

    `sources` maps each contract column to its VARCHAR input expression (NULL when the file
    lacks the column); `parsed` maps it to the typed expression. `before`/`after` are extra
    `WHEN ... THEN ...` clauses of an adapter, checked before/after the contract rules.
    """
    whens: list[str] = list(before)
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
            what = f"'unparseable date in {col}: ' || {_shown(src)}"
        elif dtype == "JSON":
            what = f"'type error in {col}: invalid JSON ' || {_shown(src)}"
        else:
            what = f"'type error in {col}: ' || {_shown(src)} || ' is not {dtype}'"
        whens.append(f"WHEN nullif(trim({src}), '') IS NOT NULL AND {typed} IS NULL THEN {what}")
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
