"""The emulated accounts' saved state as versioned JSON (never pickle: loading a tampered
pickle next to the warehouse would run its code; JSON only ever yields data).

JSON has no sets, tuples or non-string keys, which the emulators' state uses, so those are
written as one-key tagged objects ({"__set__": [...]}, ...) and turned back on load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FORMAT = "retention-emulator-state"
VERSION = 2  # 1 was pickle; bump when a `persistent` attribute changes shape
_SET, _TUPLE, _DICT = "__set__", "__tuple__", "__dict__"
_TAGS = {_SET, _TUPLE, _DICT}


class StateFileError(ValueError):
    """The state file is not one `write_state` wrote (reason in the message)."""


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not (_TAGS & value.keys()):
            return {k: _encode(v) for k, v in value.items()}
        return {_DICT: [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, set | frozenset):
        return {_SET: sorted((_encode(v) for v in value), key=repr)}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"emulator state holds a {type(value).__name__}, which JSON cannot keep")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and (tag := next(iter(value))) in _TAGS:
        items = value[tag]
        if tag == _SET:
            return {_decode(v) for v in items}
        if tag == _TUPLE:
            return tuple(_decode(v) for v in items)
        return {_decode(k): _decode(v) for k, v in items}
    return {k: _decode(v) for k, v in value.items()}


def write_state(path: Path, accounts: dict[str, dict[str, Any]]) -> None:
    """Save `accounts` (vendor -> persistent attributes) to `path`, atomically."""
    data = json.dumps({"format": FORMAT, "version": VERSION, "accounts": _encode(accounts)})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(data, encoding="utf-8")
    os.replace(partial, path)


def read_state(path: Path) -> dict[str, dict[str, Any]]:
    """The accounts `write_state` saved to `path` (StateFileError or OSError when unreadable)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StateFileError(f"not JSON: {error}") from error
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise StateFileError("not an emulator state file")
    if saved.get("version") != VERSION:
        raise StateFileError(f"written by another version ({saved.get('version')})")
    accounts = _decode(saved.get("accounts"))
    if not isinstance(accounts, dict):
        raise StateFileError("no accounts in it")
    return accounts
