"""Destinations get an explicit Connection: only their own key, URL and limits."""

from __future__ import annotations

import pytest
from sync_helpers import one_sync

from activation.connection import Connection
from activation.destinations.klaviyo import KlaviyoDestination
from activation.errors import SyncConfigError
from orchestration.defs.activation.resources import DestinationResource

ENV = {
    "KLAVIYO_API_KEY": "pk_live",
    "KLAVIYO_BASE_URL": "http://127.0.0.1:9/klaviyo",
    "MAILCHIMP_API_KEY": "mc-us1",
    "FILE_EXPORT_DIR": "/tmp/exports",
    "RETENTION_SYNC_RATE_SCALE": "4",
    "RETENTION_SYNC_MAX_ATTEMPTS": "3",
}


def test_from_env_reads_only_that_destinations_variables() -> None:
    klaviyo = Connection.from_env("klaviyo", ENV)
    assert (klaviyo.api_key, klaviyo.base_url) == ("pk_live", "http://127.0.0.1:9/klaviyo")
    assert (klaviyo.rate_scale, klaviyo.max_attempts) == (4.0, 3)
    assert Connection.from_env("mailchimp", ENV).base_url == ""
    assert Connection.from_env("file", ENV).base_url == "/tmp/exports"
    assert "pk_live" not in repr(klaviyo)


@pytest.mark.parametrize(
    ("name", "value"),
    [("RETENTION_SYNC_MAX_ATTEMPTS", "many"), ("RETENTION_SYNC_MAX_ATTEMPTS", "0")],
)
def test_bad_limits_are_one_line_errors_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SyncConfigError, match=name):
        Connection.from_env("klaviyo", {name: value})


def test_resource_values_win_and_unset_ones_are_read_when_the_run_starts(monkeypatch) -> None:
    resource = DestinationResource(name="klaviyo")
    monkeypatch.setenv("KLAVIYO_API_KEY", "exported-after-load")
    assert resource.connection().api_key == "exported-after-load"
    explicit = DestinationResource(name="klaviyo", api_key="from-config")
    assert explicit.connection().api_key == "from-config"


def test_a_destination_without_a_key_says_which_variable_to_export(tmp_path) -> None:
    spec = {"name": "vip_klaviyo", "destination": "klaviyo", "target": "VIP", "channel": "email"}
    sync = one_sync(tmp_path, {**spec, "identifiers": {"email": "email"}})
    with pytest.raises(SyncConfigError, match="export KLAVIYO_API_KEY"):
        KlaviyoDestination(sync, Connection())
    assert KlaviyoDestination(sync, Connection(api_key="k", base_url=ENV["KLAVIYO_BASE_URL"]))
