"""Row-for-row comparison of one table built on two engines."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa

REL_TOLERANCE = 1e-9  # floating point sums may add in a different order on each engine


def normalise(value: Any) -> Any:
    """A comparable, engine-neutral form: ints and Decimals exact, timestamps naive."""
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def sort_key(row: tuple) -> tuple:
    """Total order over rows with NULLs; floats rounded so tiny engine differences sort alike."""
    return tuple((value is None, _sortable(value)) for value in row)


def _sortable(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.9g}"
    return str(value)


def sorted_rows(table: pa.Table, columns: list[str]) -> list[tuple]:
    """The table's rows (selected columns, normalised) in a deterministic order."""
    data = table.select(columns).to_pylist()
    rows = [tuple(normalise(row[name]) for name in columns) for row in data]
    return sorted(rows, key=sort_key)


def values_equal(left: Any, right: Any) -> bool:
    """Exact equality, except floats within REL_TOLERANCE."""
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=REL_TOLERANCE, abs_tol=1e-9)
    return left == right


def differences(left: pa.Table, right: pa.Table, columns: list[str], limit: int = 5) -> list[str]:
    """Up to `limit` human-readable row differences between two tables (empty if equal)."""
    if left.num_rows != right.num_rows:
        return [f"row counts differ: {left.num_rows} vs {right.num_rows}"]
    found = []
    for index, (a, b) in enumerate(
        zip(sorted_rows(left, columns), sorted_rows(right, columns), strict=True)
    ):
        unequal = [
            f"{name}: {x!r} != {y!r}"
            for name, x, y in zip(columns, a, b, strict=True)
            if not values_equal(x, y)
        ]
        if unequal:
            found.append(f"sorted row {index}: " + "; ".join(unequal))
            if len(found) >= limit:
                break
    return found
