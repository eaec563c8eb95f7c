"""How one ingest run reads its files: declared date order, replace permission, plausible dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retention.core.errors import InputError

# Day/month orders a file's slash dates (`03/04/2026`) can be declared in; ISO forbids them.
DATE_ORDERS = ("DMY", "MDY", "ISO")
# Timestamps before this are sentinels or typos (1900-01-01, 0001-01-01), not store history.
EARLIEST_AT = datetime(1970, 1, 1)


def _tomorrow() -> datetime:
    """Now (UTC, naive) plus one day: the latest plausible timestamp in a file."""
    return datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)


@dataclass(frozen=True)
class IngestOptions:
    """Options of one ingest run.

    `date_format` is the declared order of slash dates (DMY, MDY or ISO), None to detect it;
    `replace` makes the drop a snapshot: each table it holds files for is replaced by them (and
    may be emptied by a file with no loadable rows); without it files append, each file once;
    `files` limits a folder to these files (paths below it), e.g. the new ones of a drop;
    `latest_at` is the latest plausible timestamp (default now + 1 day); `scratch` is a
    folder for cleaned copies of files the CSV reader cannot take as they are.
    """

    date_format: str | None = None
    replace: bool = False
    files: tuple[str, ...] | None = None
    latest_at: datetime = field(default_factory=_tomorrow)
    scratch: Path | None = None

    def __post_init__(self) -> None:
        if self.date_format is not None:
            value = self.date_format.upper()
            if value not in DATE_ORDERS:
                raise InputError(
                    f"--date-format {self.date_format!r} is not one of {', '.join(DATE_ORDERS)}"
                )
            object.__setattr__(self, "date_format", value)
