"""Klaviyo's JSON:API `filter` syntax, as documented for the emulator's list endpoints.

A filter is one condition or `and(cond, cond, ...)`; a condition is `operator(field,value)`
with operators `equals`, `any`, `greater-than`, `greater-or-equal`, `less-than` and
`less-or-equal`. Values are double- or single-quoted strings, lists `["a","b"]`, unquoted
ISO 8601 datetimes (`2026-01-01T00:00:00Z`), numbers, `true`/`false` or `null`. Each endpoint
allows some operators per field (`ALLOWED`); anything else is a 400 as at Klaviyo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COMPARE = {
    "greater-than": lambda a, b: a > b,
    "greater-or-equal": lambda a, b: a >= b,
    "less-than": lambda a, b: a < b,
    "less-or-equal": lambda a, b: a <= b,
}
TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<punct>[(),\[\]])"""
    r"""|(?P<word>[^(),\[\]\s"']+))"""
)


class FilterError(ValueError):
    """The filter is malformed or uses a field/operator the endpoint does not allow."""


@dataclass(frozen=True)
class Condition:
    """One `operator(field,value)`."""

    operator: str
    field: str
    value: Any


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"Invalid filter: {text}")
        pos = match.end()
        kind = match.lastgroup
        if kind:
            out.append((kind, match.group(kind)))
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return float(raw) if "." in raw else int(raw)
    try:
        return parse_datetime(raw)
    except ValueError:
        raise FilterError(f"Invalid filter value: {raw}") from None


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 datetime (naive means UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def take(self, value: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FilterError(f"Invalid filter: {self.text}")
        token = self.tokens[self.pos]
        if value is not None and token[1] != value:
            raise FilterError(f"Invalid filter: {self.text}")
        self.pos += 1
        return token

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def conditions(self) -> list[Condition]:
        kind, word = self.take()
        if kind != "word":
            raise FilterError(f"Invalid filter: {self.text}")
        self.take("(")
        if word == "and":
            found = self.conditions()
            while self.peek() == ",":
                self.take(",")
                found += self.conditions()
            self.take(")")
            return found
        if word not in COMPARE and word not in ("equals", "any"):
            raise FilterError(f"Unknown filter operator: {word}")
        _, field = self.take()
        self.take(",")
        value = self.value()
        self.take(")")
        return [Condition(word, field, value)]

    def value(self) -> Any:
        if self.peek() == "[":
            self.take("[")
            values = []
            while self.peek() != "]":
                values.append(_literal(*self.take()))
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            return values
        kind, raw = self.take()
        if kind == "punct":
            raise FilterError(f"Invalid filter: {self.text}")
        return _literal(kind, raw)


def parse(text: str, allowed: Mapping[str, set[str]]) -> list[Condition]:
    """The conditions of `text` (all must hold); FilterError if not allowed here."""
    parser = _Parser(text)
    conditions = parser.conditions()
    if parser.pos != len(parser.tokens):
        raise FilterError(f"Invalid filter: {text}")
    for c in conditions:
        if c.operator not in allowed.get(c.field, set()):
            raise FilterError(f"'{c.operator}' is not a valid operator for field '{c.field}'")
        if c.operator == "any" and (not isinstance(c.value, list) or len(c.value) > 100):
            raise FilterError("any() takes a list of at most 100 values")
        if c.operator in COMPARE and not isinstance(c.value, datetime):
            raise FilterError(f"'{c.field}' is compared with an ISO 8601 datetime")
    return conditions


def predicate(conditions: list[Condition]) -> Callable[[Callable[[str], list[Any]]], bool]:
    """A test of whether a resource, given by its field values `values(field)`, meets every
    condition (`equals`/`any` values are compared as a set, emails case-insensitively)."""
    wanted = {
        i: {_key(v) for v in (c.value if c.operator == "any" else [c.value])}
        for i, c in enumerate(conditions)
        if c.operator in ("equals", "any")
    }

    def test(values: Callable[[str], list[Any]]) -> bool:
        for i, c in enumerate(conditions):
            found = values(c.field)
            if i in wanted:
                if not any(_key(v) in wanted[i] for v in found):
                    return False
            elif not any(v is not None and COMPARE[c.operator](v, c.value) for v in found):
                return False
        return True

    return test


def _key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) and "@" in value else value
