"""Audience size per list over time: recorded by the sync engine, shown per audience in the report.

Real DuckDB and the real sync engine with the `file` destination (no network needed).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dbt_command import WAREHOUSE_NAME
from report_views import create_report_views

from activation.config import SyncConfig
from activation.connection import Connection
from activation.destinations.file import FileOptions
from activation.engine import run_sync
from activation.tables import ensure_tables
from report.report_page import read_page, table_dicts
from retention.report.build import write_report

MODEL = "aud_vip"
DESCRIPTION = (
    "VIP early access: the most loyal customers, RFM segment in vip_rfm_segments (Champions). "
    "Enter and leave with the daily refresh."
)


def _sync() -> SyncConfig:
    return SyncConfig(
        name="vip_file",
        model=MODEL,
        destination="file",
        target="VIP Early Access",
        mode="mirror",
        channel="email",
        identifiers={"email": "email"},
        max_removal_share=1.0,
        options=FileOptions(),
    )


def _audience(con: duckdb.DuckDBPyConnection, consented: int) -> None:
    """`consented` email members, plus one without consent and one routed to SMS."""
    rows = [(f"c{i}", f"c{i}@example.com", True, "email") for i in range(consented)]
    rows += [("nc", "nc@example.com", False, "email"), ("sms", "sms@example.com", True, "sms")]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "email": [r[1] for r in rows],
            "phone": [None] * len(rows),
            "has_email_consent": [r[2] for r in rows],
            "has_sms_consent": [True] * len(rows),
            "has_whatsapp_consent": [False] * len(rows),
            "channel": [r[3] for r in rows],
        }
    )
    con.execute("create schema if not exists audiences")
    con.register("_rows", table)
    con.execute(f"create or replace table audiences.{MODEL} as select * from _rows")
    con.unregister("_rows")
    con.execute(f"comment on table audiences.{MODEL} is '{DESCRIPTION}'")


def _run(con, tmp_path: Path, *, dry_run: bool = False):
    exports = Connection(base_url=str(tmp_path / "exports"))
    return run_sync(con, _sync(), dry_run=dry_run, connection=exports)


@pytest.fixture
def synced_twice(tmp_path: Path) -> Path:
    """A warehouse where the audience had 3 members at the first sync and 5 at the second."""
    db = tmp_path / WAREHOUSE_NAME
    with duckdb.connect(str(db)) as con:
        _audience(con, consented=3)
        assert _run(con, tmp_path).status == "success"
        _audience(con, consented=5)
        assert _run(con, tmp_path).status == "success"
        _audience(con, consented=9)
        assert _run(con, tmp_path, dry_run=True).status == "dry_run"  # never shown
        create_report_views(con)
    return db


def test_sync_runs_record_the_audience_size_model_and_target(synced_twice: Path) -> None:
    with duckdb.connect(str(synced_twice), read_only=True) as con:
        rows = con.execute(
            "select audience_model, target, audience_size, dry_run from activation.sync_runs "
            "order by started_at"
        ).fetchall()
    assert rows == [
        (MODEL, "VIP Early Access", 3, False),
        (MODEL, "VIP Early Access", 5, False),
        (MODEL, "VIP Early Access", 9, True),
    ]


def test_report_shows_each_audience_with_purpose_list_size_and_change(
    synced_twice: Path, tmp_path: Path
) -> None:
    page = read_page(write_report(synced_twice, tmp_path / "report.html").path)
    section = page.sections["audiences"]
    (row,) = table_dicts(section.tables["Audiences and the lists they fill"])
    assert row["Audience"] == "VIP early access"
    # the dbt variable is shown as its value, in words, not as code
    assert row["What it is for"] == "The most loyal customers, RFM segment in Champions."
    assert "vip_rfm_segments" not in section.codes
    assert row["List or target"] == "VIP Early Access"
    assert row["Destination"] == "File export"
    assert row["Members now"] == "5"
    assert row["Change since last sync"] == "+2"
    assert section.sparklines == 1
    assert section.stats["change since last sync"] == "+2"
    current, history = section.figures
    assert current["data"][0]["y"] == ["VIP Early Access · File export"]
    assert [trace["y"] for trace in history["data"]] == [[3, 5]]


def test_existing_warehouse_is_migrated_and_old_runs_still_chart(tmp_path: Path) -> None:
    db = tmp_path / WAREHOUSE_NAME
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create schema activation; create table activation.sync_runs (run_id varchar primary "
            "key, sync_name varchar, destination varchar, started_at timestamp, finished_at "
            "timestamp, status varchar, dry_run boolean, added integer, updated integer, removed "
            "integer, failed integer, skipped_no_consent integer, skipped_suppressed integer, "
            "write_requests integer, planned json, message varchar)"
        )
        con.execute(
            "insert into activation.sync_runs values ('r0', 'vip_file', 'file', "
            "'2026-01-01 05:00', '2026-01-01 05:01', 'success', false, 4, 0, 0, 0, 0, 0, 1, "
            "null, null)"
        )
        ensure_tables(con)
        columns = {r[0] for r in con.execute("describe activation.sync_runs").fetchall()}
        assert {"audience_size", "audience_model", "target"} <= columns
        assert con.execute("select count(*) from activation.sync_runs").fetchone() == (1,)
        _audience(con, consented=6)
        assert _run(con, tmp_path).status == "success"
        create_report_views(con)
    page = read_page(write_report(db, tmp_path / "report.html").path)
    (row,) = table_dicts(page.sections["audiences"].tables["Audiences and the lists they fill"])
    # The old run counts what the destination held (4 added); the new one the recorded size.
    assert (row["Members now"], row["Change since last sync"]) == ("6", "+2")
