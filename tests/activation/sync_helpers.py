"""Helpers for activation tests: temp dbt projects with sync yml and audience tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from activation.config import SyncConfig, load_syncs
from activation.emulators import DEFAULT_LIST_ID

FAST = 200.0  # emulator and client rate limits x200 keep the suite fast


# an SMS sync to the Twilio emulator, shared by the fault, delivery and outcome tests
TWILIO = {
    "name": "winback_sms",
    "destination": "twilio",
    "target": "winback",
    "channel": "sms",
    "identifiers": {"to": "phone"},
    "fields": {"first_name": "first_name"},
    "account_sid": "AC" + "2" * 32,
    "from_number": "+15550001111",
    "body": "Hi {first_name}",
}
# a mirrored VIP list at Klaviyo and at Mailchimp, shared by the drift and opt-out tests
VIP_MIRROR_SPECS = {
    "klaviyo": {
        "name": "vip_klaviyo",
        "destination": "klaviyo",
        "target": "VIP",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"email": "email"},
        "fields": {"first_name": "first_name"},
    },
    "mailchimp": {
        "name": "vip_mc",
        "destination": "mailchimp",
        "target": "VIP",
        "mode": "mirror",
        "channel": "email",
        "list_id": DEFAULT_LIST_ID,
        "identifiers": {"email_address": "email"},
        "fields": {"FNAME": "first_name"},
    },
}
# a WhatsApp template sync (template `win_back` must be approved at the emulator)
WHATSAPP = {
    "name": "winback_whatsapp",
    "destination": "whatsapp",
    "target": "win_back",
    "channel": "whatsapp",
    "identifiers": {"to": "phone"},
    "fields": {"first_name": "first_name"},
    "phone_number_id": "1234567890",
    "body_parameters": ["first_name"],
}


def member(i: int, *, email_consent: bool = True, sms_consent: bool = True, **extra) -> dict:
    """One audience row for customer `i`."""
    row = {
        "customer_id": f"c{i:05d}",
        "email": f"customer{i}@example.com",
        "phone": f"+1555{i:07d}",
        "first_name": f"First{i}",
        "clv_tier": "high" if i % 2 else "medium",
        "has_email_consent": email_consent,
        "has_sms_consent": sms_consent,
        "has_whatsapp_consent": sms_consent,
        "channel": "email",
    }
    row.update(extra)
    return row


def write_audience(db_path: Path, model: str, rows: list[dict]) -> None:
    """(Re)create `audiences.<model>` holding `rows`."""
    columns = list(rows[0]) if rows else list(member(0))
    table = pa.table(
        {
            c: pa.array(
                [r.get(c) for r in rows], pa.bool_() if c.startswith("has_") else pa.string()
            )
            for c in columns
        }
    )
    con = duckdb.connect(str(db_path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS audiences")
        con.register("_rows", table)
        con.execute(f"CREATE OR REPLACE TABLE audiences.{model} AS SELECT * FROM _rows")
    finally:
        con.close()


def write_project(project: Path, model: str, syncs: list[dict], exposures: bool = True) -> Path:
    """A dbt project dir whose `models/audiences/<model>.yml` declares `syncs`."""
    folder = project / "models" / "audiences"
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict = {
        "version": 2,
        "models": [{"name": model, "config": {"meta": {"activation": {"syncs": syncs}}}}],
    }
    if exposures:
        doc["exposures"] = [
            {
                "name": s["name"],
                "type": "application",
                "owner": {"name": "Lifecycle", "email": "marketing@example.com"},
                "depends_on": [f"ref('{model}')"],
            }
            for s in syncs
        ]
    path = folder / f"{model}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def one_sync(tmp_path: Path, spec: dict, model: str = "aud_test") -> SyncConfig:
    """Declare `spec` in a temp project and load it back through `load_syncs`."""
    write_project(tmp_path / "dbt_project", model, [spec])
    (sync,) = load_syncs(tmp_path / "dbt_project")
    return sync
