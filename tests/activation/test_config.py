"""Sync declarations: parsing, per-destination validation and exposure checks."""

from __future__ import annotations

import pytest
from sync_helpers import write_project

from activation.config import load_syncs
from activation.errors import SyncConfigError

BASE = {
    "name": "vip_klaviyo",
    "destination": "klaviyo",
    "target": "VIP",
    "mode": "mirror",
    "channel": "email",
    "identifiers": {"email": "email", "external_id": "customer_id"},
    "fields": {"first_name": "first_name"},
}


def _error(tmp_path, spec, **kwargs) -> str:
    write_project(tmp_path, "aud_vip", [spec], **kwargs)
    with pytest.raises(SyncConfigError) as info:
        load_syncs(tmp_path)
    return str(info.value)


def test_valid_declaration_loads_with_destination_options(tmp_path):
    write_project(tmp_path, "aud_vip", [{**BASE, "subscribe": False}])
    (sync,) = load_syncs(tmp_path)
    assert (sync.name, sync.model, sync.mode, sync.channel) == (
        "vip_klaviyo",
        "aud_vip",
        "mirror",
        "email",
    )
    assert sync.options.subscribe is False
    assert sync.max_removal_share == 0.2
    assert sync.consent_column == "has_email_consent"


def test_invalid_mode_names_file_sync_field_and_allowed_values(tmp_path):
    message = _error(tmp_path, {**BASE, "mode": "replace"})
    assert "aud_vip.yml" in message and "vip_klaviyo" in message
    assert "field 'mode'" in message and "'upsert' or 'mirror'" in message


def test_unknown_option_lists_allowed_fields(tmp_path):
    message = _error(tmp_path, {**BASE, "list_id": "abc"})
    assert "field 'list_id'" in message and "subscribe" in message and "revision" in message


def test_channel_not_offered_by_destination(tmp_path):
    message = _error(tmp_path, {**BASE, "channel": "whatsapp"})
    assert "field 'channel'" in message and "['email', 'sms']" in message


def test_messaging_destination_cannot_mirror(tmp_path):
    spec = {
        "name": "winback_sms",
        "destination": "twilio",
        "target": "winback",
        "mode": "mirror",
        "channel": "sms",
        "identifiers": {"to": "phone"},
        "fields": {},
        "account_sid": "AC" + "0" * 32,
        "from_number": "+15550001111",
        "body": "Come back!",
    }
    assert "field 'mode'" in _error(tmp_path, spec)


def test_missing_required_option(tmp_path):
    spec = {
        **BASE,
        "destination": "mailchimp",
        "identifiers": {"email_address": "email"},
        "fields": {"FNAME": "first_name"},
    }
    message = _error(tmp_path, spec)
    assert "field 'list_id'" in message and "Field required" in message


def test_sync_without_exposure_is_an_error(tmp_path):
    message = _error(tmp_path, BASE, exposures=False)
    assert "no exposure named 'vip_klaviyo'" in message and "ref('aud_vip')" in message


def test_duplicate_sync_names_are_rejected(tmp_path):
    write_project(tmp_path, "aud_vip", [BASE])
    write_project(tmp_path, "aud_other", [BASE])
    with pytest.raises(SyncConfigError, match="already used"):
        load_syncs(tmp_path)
