"""Which raw table a dropped file belongs to, from its name as stores name their exports.

A file belongs to table T when it sits (at any depth) in a folder named T
(`orders/part-0001.parquet`, `orders/2026/12/day.csv`), or when its name is T or T followed by
`_`, `-`, `.` or a space and anything (`orders.csv`, `orders_2026-12-07.csv`,
`order_items-0001.parquet`). Names compare case-insensitively; the longest table name wins, so
`shipment_events_1.csv` is not `events`. A file's key (the identity that makes re-drops
idempotent) is its path below the folder ingested, or, when one file is ingested, the table
folder it sits in plus its name (`orders/part-0001.parquet`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from retention.core.raw_contract import TABLES

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")
SEPARATORS = ("_", "-", ".", " ")
# longest first, so `order_items_...` and `shipment_events_...` match before `orders`/`events`
_BY_LENGTH = sorted(TABLES, key=len, reverse=True)


def data_stem(name: str) -> str | None:
    """The lower-cased name without its data suffix, or None when it is not a data file."""
    lower = name.lower()
    suffix = next((s for s in DATA_SUFFIXES if lower.endswith(s)), None)
    return None if suffix is None else lower[: -len(suffix)]


def table_of_name(stem: str) -> str | None:
    """The table a file stem names: the table itself or the table and a separator."""
    for table in _BY_LENGTH:
        if stem == table or (stem.startswith(table) and stem[len(table)] in SEPARATORS):
            return table
    return None


def table_of(relative: PurePosixPath) -> str | None:
    """The table of a file at `relative` (below the folder ingested), or None when none fits."""
    if relative.name.startswith(".") or data_stem(relative.name) is None:
        return None
    for folder in relative.parts[:-1]:
        if folder.lower() in TABLES:
            return folder.lower()
    return table_of_name(data_stem(relative.name) or "")


def single_file_key(path: Path) -> PurePosixPath:
    """The key of a file ingested on its own: `<table folder>/<name>` when its parent folder names
    a table and its name does not, else its name."""
    stem = data_stem(path.name)
    if stem is not None and table_of_name(stem) is None and path.parent.name.lower() in TABLES:
        return PurePosixPath(path.parent.name, path.name)
    return PurePosixPath(path.name)


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (hex): a changed file under the same name is a new version."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
