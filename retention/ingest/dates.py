"""Timestamps as SQL: UTC offsets applied, slash dates read in one day/month order, sanity range.

A file's slash dates (`03/04/2026`) are read day-first (DMY) or month-first (MDY) as declared
(`--date-format`) or as the data proves it (a first number above 12 means DMY, a second one
means MDY). A file whose slash dates never prove an order and has none declared is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from retention.core.errors import InputError
from retention.ingest.raw_tables import literal

# Formats tried after a plain ISO 8601 cast, whatever the order; `%d.%m.%Y` is day-first
# everywhere it is used, `%Y%m%d` is CDNOW's.
COMMON_FORMATS = ("%Y-%m-%d %H:%M", "%Y%m%d", "%d.%m.%Y")
SLASH_FORMATS = {
    "DMY": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "MDY": ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    "ISO": (),
}
SLASH_DATE = "^([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}"
OFFSET = "\\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
TIME_WITH_OFFSET = "[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?" + OFFSET


def _wall_clock(value: str, order: str | None) -> str:
    formats = COMMON_FORMATS + SLASH_FORMATS.get(order or "ISO", ())
    listed = "[" + ", ".join(literal(f) for f in formats) + "]"
    return f"coalesce(try_cast({value} AS TIMESTAMP), try_strptime({value}, {listed}))"


def _offset_minutes(value: str) -> str:
    off = f"regexp_extract({value}, '{OFFSET}', 1)"
    digits = f"replace({off}, ':', '')"
    return (
        f"CASE WHEN upper({off}) = 'Z' THEN 0 "
        f"ELSE (CASE WHEN starts_with({off}, '-') THEN -1 ELSE 1 END) * "
        f"(CAST(substr({digits}, 2, 2) AS INTEGER) * 60 "
        f"+ coalesce(try_cast(nullif(substr({digits}, 4, 2), '') AS INTEGER), 0)) END"
    )


def timestamp_expr(value: str, order: str | None) -> str:
    """UTC TIMESTAMP of trimmed VARCHAR `value`, NULL when unparseable.

    A trailing UTC offset (`Z`, `+05:00`, `-0330`, `+01`) after a time is applied, so
    `2024-01-01 10:00:00+05:00` is `2024-01-01 05:00:00`; without an offset the wall-clock time
    is kept. Slash dates are read in `order` (DMY or MDY) only; under ISO or None they fail.
    """
    local = f"regexp_replace({value}, '{OFFSET}', '')"
    # cheap test first: an offset needs a Z, a + or a - after the date part
    maybe = (
        f"(suffix(upper({value}), 'Z') OR strpos({value}, '+') > 0 "
        f"OR strpos(substr({value}, 11), '-') > 0)"
    )
    return (
        f"CASE WHEN {maybe} AND regexp_matches({value}, '{TIME_WITH_OFFSET}') "
        f"THEN {_wall_clock(local, order)} - to_minutes({_offset_minutes(value)}) "
        f"ELSE {_wall_clock(value, order)} END"
    )


def slash_order_reason(column: str, src: str, typed: str, order: str | None) -> str | None:
    """A `WHEN ... THEN reason` for a slash date that the file's day/month order cannot read."""
    if order is None:
        return None
    value = f"nullif(trim({src}), '')"
    shown = f"'''' || left({value}, 80) || ''''"
    if order == "ISO":
        why = f"'slash date in {column} but --date-format ISO: ' || {shown}"
    else:
        why = f"'date contradicts the day/month order {order} in {column}: ' || {shown}"
    return f"WHEN {typed} IS NULL AND regexp_matches({value}, '{SLASH_DATE}') THEN {why}"


def plausible_reason(
    column: str, src: str, typed: str, earliest: datetime | None, latest: datetime
) -> str:
    """A `WHEN ... THEN reason` for a parsed date outside [earliest, latest]."""
    low = f"{typed} < TIMESTAMP '{earliest:%Y-%m-%d}' OR " if earliest is not None else ""
    span = f"{earliest:%Y-%m-%d} to " if earliest is not None else "not after "
    shown = f"'''' || left(trim({src}), 80) || ''''"
    return (
        f"WHEN {low}{typed} > TIMESTAMP '{latest:%Y-%m-%d %H:%M:%S}' THEN "
        f"'implausible date in {column}: ' || {shown} || ' (expected {span}{latest:%Y-%m-%d})'"
    )


@dataclass(frozen=True)
class SlashDates:
    """What a file's slash dates prove about their order."""

    count: int
    day_first: int
    month_first: int
    column: str | None
    example: str | None


def count_slash_dates(
    con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str]
) -> SlashDates:
    """Count slash dates in `columns` (name -> VARCHAR expression over `src`) of `relation`."""
    items = ", ".join(
        f"{{'c': {literal(name)}, 'v': nullif(trim({expr}), '')}}" for name, expr in columns.items()
    )
    first = f"try_cast(regexp_extract(s.v, '{SLASH_DATE}', 1) AS INTEGER)"
    second = f"try_cast(regexp_extract(s.v, '{SLASH_DATE}', 2) AS INTEGER)"
    count, day_first, month_first, column, example = con.execute(
        f"SELECT count(a), count_if(a > 12 AND b <= 12), count_if(b > 12 AND a <= 12), "
        f"arg_min(c, v) FILTER (WHERE a <= 12 AND b <= 12), "
        f"min(v) FILTER (WHERE a <= 12 AND b <= 12) "
        f"FROM (SELECT s.c AS c, s.v AS v, {first} AS a, {second} AS b "
        f"FROM (SELECT unnest([{items}]) AS s FROM {relation} src))"
    ).fetchone()
    return SlashDates(count, day_first, month_first, column, example)


def choose_order(found: SlashDates, declared: str | None, where: str) -> str | None:
    """The day/month order to read a file in: declared, else proven by the data.

    Raises InputError naming the file, column and an example when slash dates are present but
    never prove an order (every number <= 12) or prove both orders equally often.
    """
    if declared is not None or found.count == 0:
        return declared
    if found.day_first > found.month_first:
        return "DMY"
    if found.month_first > found.day_first:
        return "MDY"
    if found.day_first:
        raise InputError(
            f"{where}: slash dates prove both day/month orders ({found.day_first} rows each); "
            f"declare the file's order with --date-format DMY or MDY"
        )
    raise InputError(
        f"{where}: slash dates such as {found.example!r} in {found.column} are ambiguous "
        f"(day/month or month/day); declare the order with --date-format DMY or MDY"
    )
