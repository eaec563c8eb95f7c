"""The bad-file corpus (tests/ingest/corpus/): every file is either loaded with each row accounted
for (rows read = loaded + quarantined, reasons named) or refused with one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from retention.ingest import ingest_path
from retention.ingest.options import IngestOptions
from tests.ingest.conftest import assert_accounted, query

CORPUS = Path(__file__).with_name("corpus")
RETENTION = str(Path(sys.executable).parent / "retention")
# A fixed "now" so the plausible-date window does not move with the clock.
LATEST = datetime(2026, 12, 1)


@dataclass(frozen=True)
class Loaded:
    """A corpus folder that loads: expected (read, loaded, quarantined) and reason prefixes."""

    folder: str
    counts: tuple[int, int, int]
    reasons: tuple[str, ...] = ()
    hint: str | None = None  # text that must appear in a reason
    fmt: str = "canonical"
    date_format: str | None = None


@dataclass(frozen=True)
class Refused:
    """A corpus folder the CLI refuses: what the one error line must contain."""

    folder: str
    fragments: tuple[str, ...]
    args: tuple[str, ...] = field(default=())


LOADED = [
    # the LF-split record is two malformed lines; the LF-terminated complete row loads
    Loaded("crlf_with_lf_lines", (6, 4, 2), ("malformed CSV line", "malformed CSV line")),
    Loaded("cdnow_mixed_line_ends", (3, 3, 0), fmt="cdnow"),
    Loaded("cr_line_ends", (2, 2, 0)),
    Loaded(
        "decimal_comma",
        (3, 2, 1),
        ("malformed CSV line: TOO MANY COLUMNS",),
        "decimal comma such as 12,50",
    ),
    Loaded("decimal_comma_semicolon", (2, 1, 1), ("decimal comma in total: '12,50'",)),
    Loaded(
        "implausible_dates",
        (4, 1, 3),
        (
            "implausible date in ordered_at: '2099-01-01'",
            "implausible date in ordered_at: '1900",
            "implausible date in ordered_at: '1969",
        ),
    ),  # fmt: skip
    Loaded("utc_offsets", (4, 4, 0)),
    Loaded("slash_dates_ambiguous", (2, 2, 0), date_format="DMY"),
    Loaded(
        "slash_dates_day_first",
        (4, 3, 1),
        ("date contradicts the day/month order DMY in ordered_at: '12/31/2025'",),
    ),
    Loaded("nul_bytes", (4, 2, 2), ("NUL byte in customer_id", "malformed CSV line")),
    Loaded("online_retail_month_first", (3, 3, 0), fmt="online-retail-ii"),
    Loaded(
        "shopify_future_cancel",
        (2, 1, 1),
        ("implausible date in cancelled_at: '2099-01-01 00:00:00 +0000'",),
        fmt="shopify",
    ),
]
REFUSED = [
    Refused("utf16", ("utf16/orders.csv", "UTF-16", "UTF-8")),
    Refused(
        "duplicate_header", ("duplicate_header/orders.csv", "'total' and 'Total' both hold total")
    ),
    Refused(
        "slash_dates_ambiguous",
        ("slash_dates_ambiguous/orders.csv", "'03/04/2026'", "ordered_at", "--date-format"),
    ),
    Refused(
        "slash_dates_ambiguous", ("--date-format 'YMD' is not one of",), ("--date-format", "YMD")
    ),
]


@pytest.mark.parametrize("case", LOADED, ids=lambda c: c.folder)
def test_corpus_file_loads_and_accounts_for_every_row(case: Loaded, db: Path) -> None:
    options = IngestOptions(date_format=case.date_format, latest_at=LATEST)
    report = ingest_path(CORPUS / case.folder, case.fmt, db_path=db, options=options)
    assert_accounted(report, db)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == case.counts
    reasons = [r for (r,) in query(db, "SELECT reason FROM raw.quarantine ORDER BY line_number")]
    assert len(reasons) == len(case.reasons), reasons
    for reason, prefix in zip(reasons, case.reasons, strict=True):
        assert reason.startswith(prefix), reasons
    assert case.hint is None or any(case.hint in r for r in reasons), reasons


def _cli(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db)}
    return subprocess.run([RETENTION, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: f"{c.folder}{''.join(c.args)}")
def test_corpus_file_refused_with_one_line_and_exit_2(case: Refused, db: Path) -> None:
    done = _cli(["ingest", str(CORPUS / case.folder), *case.args], db)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for fragment in case.fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def test_utc_offsets_are_applied(db: Path) -> None:
    ingest_path(CORPUS / "utc_offsets", db_path=db)
    assert query(db, "SELECT order_id, ordered_at::VARCHAR FROM raw.orders ORDER BY 1") == [
        ("O1", "2024-01-01 05:00:00"),
        ("O2", "2024-01-01 10:00:00"),
        ("O3", "2024-01-01 13:30:00"),
        ("O4", "2024-01-01 10:00:00"),
    ]


def test_slash_dates_read_in_the_proven_or_declared_order(tmp_path: Path) -> None:
    db = tmp_path / "day_first.duckdb"
    ingest_path(CORPUS / "slash_dates_day_first", db_path=db)
    assert query(db, "SELECT order_id, ordered_at::VARCHAR FROM raw.orders ORDER BY 1") == [
        ("O1", "2025-12-31 00:00:00"),
        ("O2", "2026-04-03 00:00:00"),
        ("O3", "2026-01-25 10:30:00"),
    ]
    db = tmp_path / "month_first.duckdb"
    ingest_path(CORPUS / "online_retail_month_first", "online-retail-ii", db_path=db)
    assert query(db, "SELECT order_id, ordered_at::VARCHAR FROM raw.orders ORDER BY 1") == [
        ("536365", "2010-12-01 08:26:00"),
        ("536366", "2010-12-13 08:28:00"),
        ("536367", "2011-01-04 08:34:00"),
    ]
    db = tmp_path / "declared.duckdb"
    ingest_path(
        CORPUS / "slash_dates_ambiguous", db_path=db, options=IngestOptions(date_format="MDY")
    )
    assert query(db, "SELECT ordered_at::VARCHAR FROM raw.orders ORDER BY 1") == [
        ("2026-03-04 00:00:00",),
        ("2026-05-06 10:30:00",),
    ]


def test_header_only_file_never_empties_a_loaded_table(tmp_path: Path, db: Path) -> None:
    assert _cli(["ingest", str(CORPUS / "utc_offsets")], db).returncode == 0
    refused = _cli(["ingest", str(CORPUS / "header_only")], db)
    assert refused.returncode == 2, refused
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "header_only/orders.csv" in lines[0] and "--replace" in lines[0]
    assert query(db, "SELECT count(*) FROM raw.orders") == [(4,)]
    # every row quarantined counts as no loadable row too
    assert _cli(["ingest", str(CORPUS / "duplicate_header")], db).returncode == 2
    emptied = _cli(["ingest", str(CORPUS / "header_only"), "--replace"], db)
    assert emptied.returncode == 0, emptied.stderr
    assert query(db, "SELECT count(*) FROM raw.orders") == [(0,)]


def test_line_numbers_and_raw_text_of_mixed_line_ends_and_nul_bytes(tmp_path: Path) -> None:
    db = tmp_path / "mixed.duckdb"
    ingest_path(CORPUS / "crlf_with_lf_lines", db_path=db)
    assert query(db, "SELECT line_number, raw_text FROM raw.quarantine ORDER BY 1") == [
        (5, "O4,C2,2024-01-04 10:00:00,pla"),
        (6, "ced,8"),
    ]
    assert query(db, "SELECT order_id, _source_line FROM raw.orders ORDER BY 1") == [
        ("O1", 2),
        ("O2", 3),
        ("O3", 4),
        ("O5", 7),
    ]
    db = tmp_path / "nul.duckdb"
    ingest_path(CORPUS / "nul_bytes", db_path=db)
    assert query(db, "SELECT line_number, raw_text FROM raw.quarantine ORDER BY 1") == [
        (3, "O2,C\\01,2024-01-02,placed,6"),
        (4, "\\0\\0\\0"),
    ]
