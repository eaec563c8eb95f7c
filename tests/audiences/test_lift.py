"""Measured lift on the sample store: syncs with holdouts to the emulators, a simulated month
after with a known effect for win-back and none for VIP, then `rpt_audience_lift`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_command import dbt

from activation.config import load_syncs
from activation.emulators import running_emulators
from activation.engine import run_sync
from retention.core.settings import DBT_PROJECT_DIR
from retention.ingest import ingest_path
from retention.report.labels import Money
from retention.report.sections import build_sections
from retention.sample_store.lift_effects import (
    TRUE_EFFECTS,
    window_end,
    write_post_sync_orders,
)

SYNCS = ("winback_rule_klaviyo", "vip_early_access_klaviyo", "vip_early_access_klaviyo_sms")
LISTS = {"aud_winback_rule": ["Win-back (120 days)"], "aud_vip_early_access": ["VIP Early Access"]}


@pytest.fixture(scope="module")
def lift_db(audience_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the audience build, synced, a simulated month later, lift mart built."""
    work = tmp_path_factory.mktemp("lift")
    db_path = work / "retention.duckdb"
    shutil.copyfile(audience_db, db_path)
    syncs = [s for s in load_syncs(DBT_PROJECT_DIR) if s.name in SYNCS]
    with running_emulators(rate_scale=200.0, retry_after_s=0.05, klaviyo_job_seconds=0.01) as emus:
        with duckdb.connect(str(db_path)) as con:
            for sync in syncs:
                connection = emus.connection(sync.destination, rate_scale=200)
                result = run_sync(con, sync, connection=connection)
                assert result.status == "success", result.errors
            holdout = {
                audience: {
                    row[0]
                    for row in con.execute(
                        "select a.customer_id from activation.audience_assignments a "
                        "where a.audience = ? and a.group_name = 'holdout'",
                        [audience],
                    ).fetchall()
                }
                for audience in LISTS
            }
            emails = dict(
                con.execute("select customer_id, email from marts.dim_customers").fetchall()
            )
        for audience, lists in LISTS.items():
            held_out_emails = {emails[c] for c in holdout[audience]}
            assert holdout[audience], f"no holdout in {audience}"
            for name in lists:
                assert not emus.klaviyo.list_members(name) & held_out_emails
    with duckdb.connect(str(db_path)) as con:
        write_post_sync_orders(con, audience_db.parent / "store", work / "after", seed=3)
        as_of = window_end(con)
    ingest_path(work / "after", "canonical", db_path)
    dbt(
        "build", db_path, work, "--select", "+rpt_audience_lift",
        "--vars", json.dumps({"as_of_date": as_of.isoformat()}),
    )  # fmt: skip
    return db_path


def frame_members(db_path: Path) -> int:
    """Assignments recorded (every member of the lift mart)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute("select count(*) from activation.audience_assignments").fetchone()[0]


def _rows(db_path: Path) -> dict[tuple[str, str], dict]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        frame = con.execute("select * from marts.rpt_audience_lift").fetchdf()
    return {(r["audience"], r["group_name"]): r for r in frame.to_dict("records")}


@pytest.mark.slow
@pytest.mark.xdist_group("audiences")
def test_lift_interval_covers_the_true_effect_and_zero_where_there_is_none(lift_db) -> None:
    rows = _rows(lift_db)
    assert set(rows) == {
        ("aud_winback_rule", "A"),
        ("aud_winback_rule", "B"),
        ("aud_winback_rule", "holdout"),
        ("aud_vip_early_access", "treatment"),
        ("aud_vip_early_access", "holdout"),
    }
    for row in rows.values():
        assert row["members_window_open"] == 0 and row["members_measured"] == row["members"]
    for group in ("A", "B"):
        row = rows[("aud_winback_rule", group)]
        true_lift = TRUE_EFFECTS["aud_winback_rule"].lift
        assert row["purchase_rate_lift_ci_low"] <= true_lift <= row["purchase_rate_lift_ci_high"]
        assert row["purchase_rate_lift"] > 0
    vip = rows[("aud_vip_early_access", "treatment")]
    assert vip["purchase_rate_lift_ci_low"] <= 0 <= vip["purchase_rate_lift_ci_high"]
    assert not vip["is_purchase_rate_lift_significant"]
    assert vip["revenue_per_member_lift_ci_low"] <= 0 <= vip["revenue_per_member_lift_ci_high"]
    assert (
        rows[("aud_winback_rule", "holdout")]["purchase_rate_lift"] is None
        or (rows[("aud_winback_rule", "holdout")]["is_holdout"])
    )


@pytest.mark.slow
@pytest.mark.xdist_group("audiences")
def test_lift_ignores_orders_on_or_after_as_of(lift_db, tmp_path) -> None:
    """A build as of mid-window measures nobody: every window is still open."""
    db_path = tmp_path / "retention.duckdb"  # the name dbt_command runs dbt on
    shutil.copyfile(lift_db, db_path)
    with duckdb.connect(str(db_path)) as con:
        (entry,) = con.execute(
            "select max(entry_date) from activation.audience_assignments"
        ).fetchone()
    dbt(
        "build", db_path, tmp_path, "--select", "as_of_date", "rpt_audience_lift",
        "--vars", json.dumps({"as_of_date": entry.isoformat()}),
    )  # fmt: skip
    for row in _rows(db_path).values():
        assert row["members_measured"] == 0 and row["members_window_open"] == row["members"]
        assert pd.isna(row["purchase_rate"])
        assert "no member has a complete 30-day window" in row["sample_note"]
    with duckdb.connect(str(db_path), read_only=True) as con:
        section = next(s for s in build_sections(con, Money(None)) if s.key == "lift")
    (members,) = section.figures  # no lift plot while every window is open
    assert sum(members.data[1].x) == sum(r["members"] for r in _rows(db_path).values())
    assert len(section.tables[0].frame) == 5
    assert "window still open" in dict(section.stats)


@pytest.mark.slow
@pytest.mark.xdist_group("audiences")
def test_report_lift_section_plots_every_sent_group_against_its_holdout(lift_db) -> None:
    with duckdb.connect(str(lift_db), read_only=True) as con:
        section = next(s for s in build_sections(con, Money(None)) if s.key == "lift")
        (held_out,) = con.execute(
            "select count(*) from activation.audience_assignments where group_name = 'holdout'"
        ).fetchone()
    assert section.missing is None
    figure, members = section.figures
    assert sum(sum(trace.x) for trace in members.data) == int(frame_members(lift_db))
    assert sorted(figure.data[0].y) == [
        "VIP early access · treatment",
        "Winback rule · A",
        "Winback rule · B",
    ]
    frame = section.tables[0].frame
    assert len(frame) == 5 and set(frame["group"]) == {"A", "B", "treatment", "holdout"}
    assert dict(section.stats)["held out (never sent)"] == f"{held_out:,}"
