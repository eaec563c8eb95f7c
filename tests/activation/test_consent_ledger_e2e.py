"""End to end with real dbt: a second customer with the same email (written differently) who
unsubscribed withdraws the address; the next sync unsubscribes it at the provider."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from activation.config import load_syncs
from activation.engine import run_sync
from retention.core.settings import DBT_PROJECT_DIR
from retention.ingest import ingest_path
from retention.sample_store.generator import generate_store

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("consent_ledger_e2e")]
SYNC = "engagement_funnel_iterable"


def _dbt(command: str, db_path: Path, work: Path, *args: str) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    args = (
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), *args,
    )  # fmt: skip
    done = subprocess.run(
        [str(dbt), command, *args],
        env={**os.environ, "RETENTION_DUCKDB_PATH": str(db_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_an_address_shared_with_an_unsubscribed_customer_is_unsubscribed(emus, tmp_path):
    store, db_path = tmp_path / "store", tmp_path / "warehouse.duckdb"
    generate_store(store, customers=200, seed=11)
    ingest_path(store, "canonical", db_path)
    _dbt(
        "build",
        db_path,
        tmp_path,
        "--select",
        "+aud_engagement_funnel",
        "--indirect-selection",
        "buildable",
    )
    (sync,) = [s for s in load_syncs(DBT_PROJECT_DIR) if s.name == SYNC]
    with duckdb.connect(str(db_path)) as con:
        first = run_sync(con, sync)
        assert first.status == "success" and first.added > 0, first.errors
        email = con.execute(
            "SELECT email FROM audiences.aud_engagement_funnel WHERE channel = 'email' "
            "AND has_email_consent ORDER BY customer_id LIMIT 1"
        ).fetchone()[0]
    assert email in emus.iterable.list_members("Engagement x Funnel")

    # a new export: the same person signed up again as a guest and unsubscribed
    with (store / "customers.csv").open() as handle:
        header = next(csv.reader(handle))
    with (store / "customers.csv").open("a", newline="") as handle:
        row = dict.fromkeys(header, "")
        row.update(
            customer_id="GUEST-1",
            email=f"  {email.upper()} ",
            signed_up_at="2020-01-01 00:00:00",
            email_consent="unsubscribed",
            sms_consent="not_subscribed",
            whatsapp_consent="not_subscribed",
        )
        csv.DictWriter(handle, header).writerow(row)
    ingest_path(store, "canonical", db_path)
    _dbt("run", db_path, tmp_path, "--select", "consent_ledger", "aud_engagement_funnel")

    with duckdb.connect(str(db_path)) as con:
        ledger = con.execute(
            "SELECT customer_count, consent_status, withdrawn_in FROM marts.consent_ledger "
            "WHERE channel = 'email' AND contact = ?",
            [email],
        ).fetchone()
        assert ledger == (2, "unsubscribed", "warehouse")
        second = run_sync(con, sync)
    assert second.status == "success", second.errors
    assert second.removed == 1
    assert emus.iterable.channel_unsubscribed(email)
    assert email not in emus.iterable.list_members("Engagement x Funnel")
