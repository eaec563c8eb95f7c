"""One person, two customer records: audiences hold one customer per normalised contact.

Two subscribed customers share an email written in another case and with spaces; after a real
dbt build they sync to the Braze and Mailchimp emulators over HTTP as one user / one member, the
customer with the most recent purchase (int_audience_contact_owners).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_command import dbt

from activation.config import load_syncs
from activation.emulators import Emulators, running_emulators
from activation.engine import run_sync

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
AUDIENCE_DIR = DBT_PROJECT_DIR / "models" / "audiences"
CONTACT_COLUMNS = ("email", "phone")
FAST = 200.0  # emulator and client rate limits x200, as in tests/activation
pytestmark = pytest.mark.xdist_group("audiences")


def _declared_contact_tests(model: dict) -> dict[str, set[str]]:
    """Column -> channels its one_customer_per_contact tests cover, in one audience yml."""
    covered: dict[str, set[str]] = {}
    for column in model.get("columns") or []:
        for test in column.get("data_tests") or []:
            if isinstance(test, dict) and "one_customer_per_contact" in test:
                spec = test["one_customer_per_contact"]
                channels = (spec.get("arguments") or spec).get("channels") or []
                covered.setdefault(column["name"], set()).update(channels)
    return covered


def test_every_sync_identifier_column_is_tested_one_customer_per_contact():
    """A new audience whose sync sends an email or phone without the test is caught here."""
    models = {
        model["name"]: model
        for path in AUDIENCE_DIR.glob("aud_*.yml")
        for model in yaml.safe_load(path.read_text())["models"]
    }
    missing = []
    for sync in load_syncs(DBT_PROJECT_DIR):
        covered = _declared_contact_tests(models[sync.model])
        for column in set(sync.identifiers.values()) & set(CONTACT_COLUMNS):
            if sync.channel not in covered.get(column, set()):
                missing.append(f"{sync.model}.{column} ({sync.name}, channel {sync.channel})")
    assert not missing, (
        "add `one_customer_per_contact: {arguments: {channels: [...]}}` to: " + ", ".join(missing)
    )


@pytest.fixture
def emus(monkeypatch) -> Iterator[Emulators]:
    """All emulators on 127.0.0.1 at x200 documented rates, env pointed at them."""
    with running_emulators(rate_scale=FAST, retry_after_s=0.05) as emulators:
        for key, value in emulators.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RETENTION_SYNC_RATE_SCALE", str(FAST))
        yield emulators


def _pick_two_buyers(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """Two emailable buyers in aud_aov_bands with different last purchases: (newer, older)."""
    rows = con.execute(
        "select a.customer_id, d.last_order_at from audiences.aud_aov_bands a "
        "join marts.dim_customers d using (customer_id) "
        "where a.channel = 'email' order by d.last_order_at desc, a.customer_id limit 40"
    ).fetchall()
    newer = rows[0]
    older = next(row for row in rows if row[1] < newer[1])
    return newer[0], older[0]


def _share_email(db_path: Path, newer: str, older: str) -> str:
    """New raw versions of both customers: `older` re-typed `newer`'s email in upper case with
    spaces, both subscribed, both with a birthday in 2 days. Returns the shared address."""
    with duckdb.connect(str(db_path)) as con:
        as_of = con.execute("select as_of_date from marts.as_of_date").fetchone()[0]
        email = con.execute(
            "select email from marts.dim_customers where customer_id = ?", [newer]
        ).fetchone()[0]
        birthday = (as_of + timedelta(days=2)).replace(year=1990)
        for customer_id, address, name in (
            (newer, email, "Newer"),
            (older, f"  {email.upper()} ", "Older"),
        ):
            con.execute(
                """
                insert into raw.customers by name
                select * replace (
                    ? as email, ? as first_name, cast(? as date) as birth_date,
                    'subscribed' as email_consent, ? as _loaded_at
                )
                from raw.customers where customer_id = ?
                order by _loaded_at desc, _source_file desc, _source_line desc limit 1
                """,
                [address, name, birthday, datetime(2099, 1, 1), customer_id],
            )
    return email


@pytest.mark.slow
def test_two_customers_sharing_an_email_sync_as_one_user_and_one_member(
    audience_db: Path, emus: Emulators, tmp_path: Path
):
    db_path = (
        tmp_path / "retention.duckdb"
    )  # fixture warehouses keep the catalog name their views use
    shutil.copy(audience_db, db_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        newer, older = _pick_two_buyers(con)
    email = _share_email(db_path, newer, older)
    # data tests included (one_customer_per_contact); unit tests ran in the fixture's build
    dbt(
        "build", db_path, tmp_path, "--select",
        "dim_customers", "consent_ledger", "int_audience_contact_owners",
        "aud_aov_bands", "aud_birthdays", "--exclude", "test_type:unit",
    )  # fmt: skip

    with duckdb.connect(str(db_path)) as con:
        owner = con.execute(
            "select owner_customer_id, customer_count from audiences.int_audience_contact_owners "
            "where contact_type = 'email' and contact = ?",
            [email],
        ).fetchone()
        assert owner == (newer, 2)
        for model in ("aud_aov_bands", "aud_birthdays"):
            held = con.execute(
                f"select customer_id from audiences.{model} where channel = 'email' and email = ?",
                [email],
            ).fetchall()
            assert held == [(newer,)], model
        syncs = {s.name: s for s in load_syncs(DBT_PROJECT_DIR)}
        for name in ("birthdays_braze", "aov_bands_mailchimp"):
            result = run_sync(con, syncs[name])
            assert result.status == "success" and result.added > 0, (name, result.errors)

    braze_users = [uid for uid, attrs in emus.braze.users.items() if attrs.get("email") == email]
    assert braze_users == [newer]
    member = emus.mailchimp.member(email)
    assert member is not None and member["merge_fields"]["FNAME"] == "Newer"
    assert email in emus.mailchimp.segment_members("AOV Bands")
