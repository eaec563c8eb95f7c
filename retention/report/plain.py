"""Descriptions written for the data team, rewritten for a marketer: settings as their values."""

from __future__ import annotations

import re

from retention.report import labels

_NAME = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
_NUMBER = r"\d+(?:\.\d+)?%?"
# `winback_days (120)`, `discount_seeker_min_affinity (50%)`, `vip_rfm_segments (Champions)`
_SETTING = re.compile(rf"\b({_NAME}) \(({_NUMBER}|[A-Za-z][\w ,'-]*?)\)")
# `full_price_min_orders = 2`, `churn_min_p_alive, 0.3`
_ASSIGNED = re.compile(rf"\b{_NAME}(?: =|,) ({_NUMBER})\b")
# `(birthday_window 'this_week')`, `('this_month')`: how a setting is spelt, not what it means
_SPELLING = re.compile(rf"\s?\((?:{_NAME} )?'[\w ]+'\)")
_IDENTIFIER = re.compile(rf"\b{_NAME}\b")
_TERMS = {"as_of": "as-of", "p_alive": "P(alive)"}  # names whose plain words would mislead
_UNITS = {"days": "day", "hours": "hour", "minutes": "minute", "weeks": "week", "months": "month"}


def _value(name: str, value: str) -> str:
    """`7` for `lookback_days` -> `7 days`; values of settings without a unit stay as they are."""
    unit = name.rsplit("_", 1)[-1]
    if unit in _UNITS and re.fullmatch(r"\d+", value):
        return f"{value} {unit if value != '1' else _UNITS[unit]}"
    return value


def in_words(text: str) -> str:
    """`in the last trigger_lookback_days (7)` -> `in the last 7 days`; other names as words.

    dbt variables written with their value become the value (with its unit when the name ends
    in one, such as `_days`), spellings of a setting in quotes are dropped, and any remaining
    snake_case name (a column or event such as `add_to_cart`) is written as words.
    """
    text = _SETTING.sub(lambda m: _value(m.group(1), m.group(2)), text)
    text = _ASSIGNED.sub(r"\1", text)
    text = _SPELLING.sub("", text)
    return _IDENTIFIER.sub(
        lambda m: _TERMS.get(m.group(0)) or labels.words(m.group(0), capital=False), text
    )
