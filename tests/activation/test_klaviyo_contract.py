"""Every request the Klaviyo destination sends, validated against Klaviyo's OpenAPI fragments."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from sync_helpers import member, one_sync, write_audience

from activation.engine import run_sync

# (method, path regex) -> spec fragment describing that operation
OPERATIONS = {
    ("POST", r"/api/lists"): "create_list.json",
    ("GET", r"/api/lists"): "get_lists.json",
    ("GET", r"/api/profiles"): "get_profiles.json",
    ("GET", r"/api/lists/\w+/profiles"): "get_profiles_for_list.json",
    ("POST", r"/api/profile-bulk-import-jobs"): "bulk_import_profiles.json",
    ("GET", r"/api/profile-bulk-import-jobs/\w+"): "get_bulk_import_profiles_job.json",
    ("POST", r"/api/profile-subscription-bulk-create-jobs"): "bulk_subscribe_profiles.json",
    ("POST", r"/api/profile-subscription-bulk-delete-jobs"): "bulk_unsubscribe_profiles.json",
    ("DELETE", r"/api/lists/\w+/relationships/profiles"): "remove_profiles_from_list.json",
    ("POST", r"/api/lists/\w+/relationships/profiles"): "add_profiles_to_list.json",
}
NOT_IN_FRAGMENTS = {r"/api/profile-bulk-import-jobs/\w+/import-errors"}


def _operation(spec: dict, method: str) -> dict:
    (path_item,) = spec["paths"].values()
    return path_item[method.lower()]


def _validator(spec: dict, operation: dict) -> jsonschema.Validator:
    content = operation["requestBody"]["content"]["application/vnd.api+json"]
    root = {**content["schema"], "components": spec["components"]}
    return jsonschema.Draft202012Validator(root)


def _check(request, spec: dict) -> None:
    operation = _operation(spec, request.method)
    params = {p["name"]: p for p in operation.get("parameters", [])}
    assert request.headers.get("revision") == params["revision"]["schema"]["default"]
    for name, value in request.query.items():
        assert name in params, f"{request.method} {request.path}: unknown parameter {name}"
        schema = params[name]["schema"]
        if schema.get("type") == "integer":
            assert schema.get("minimum", 1) <= int(value) <= schema.get("maximum", 10**9)
        if name == "filter":
            field = re.match(r"[\w-]+\(([\w.]+),", value).group(1)
            assert f"`{field}`" in params[name]["description"], value
    if "requestBody" in operation:
        assert request.headers["content-type"].startswith("application/vnd.api+json")
        _validator(spec, operation).validate(request.body)


@pytest.fixture
def specs(shared_dir):
    folder = shared_dir / "vendor-specs" / "klaviyo"
    return {name: json.loads((folder / name).read_text()) for name in set(OPERATIONS.values())}


def test_every_klaviyo_request_matches_the_official_schemas(specs, emus, db, tmp_path):
    spec = {
        "name": "vip_klaviyo",
        "destination": "klaviyo",
        "target": 'VIP "Early" Access',
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"email": "email", "external_id": "customer_id"},
        "fields": {"first_name": "first_name", "clv_tier": "clv_tier"},
        "max_removal_share": 0.5,
    }
    sync = one_sync(tmp_path, spec)
    path = tmp_path / "warehouse.duckdb"
    rows = [member(i) for i in range(8)]
    write_audience(path, "aud_test", rows)
    run_sync(db, sync)
    rows[0]["clv_tier"] = None  # unset a property
    rows[1]["has_email_consent"] = False  # consent withdrawn: unsubscribed from the list
    write_audience(path, "aud_test", [r for r in rows if r is not rows[2]])  # rows[2] leaves
    result = run_sync(db, sync)
    assert (result.updated, result.removed) == (1, 2), result.errors

    seen = set()
    for request in emus.klaviyo.requests:
        if any(re.fullmatch(p, request.path) for p in NOT_IN_FRAGMENTS):
            continue
        matches = [
            name
            for (method, pattern), name in OPERATIONS.items()
            if method == request.method and re.fullmatch(pattern, request.path)
        ]
        assert matches, f"request outside the spec fragments: {request.method} {request.path}"
        _check(request, specs[matches[0]])
        seen.add(matches[0])
    assert {
        "create_list.json",
        "bulk_import_profiles.json",
        "bulk_subscribe_profiles.json",
        "bulk_unsubscribe_profiles.json",
        "remove_profiles_from_list.json",
        "get_profiles.json",
        "get_bulk_import_profiles_job.json",
    } <= seen
    assert emus.klaviyo.list_members('VIP "Early" Access') == {r["email"] for r in rows[3:8]} | {
        rows[0]["email"]
    }
    assert emus.klaviyo.profile(rows[1]["email"])["email_consent"] == "UNSUBSCRIBED"
    assert "clv_tier" not in emus.klaviyo.profile(rows[0]["email"])["properties"]


def test_schema_check_catches_a_malformed_body(specs):
    spec = specs["bulk_subscribe_profiles.json"]
    validator = _validator(spec, _operation(spec, "POST"))
    bad = {
        "data": {
            "type": "profile-subscription-bulk-create-job",
            "attributes": {
                "profiles": {"data": [{"type": "profile", "attributes": {"email": "a@b.co"}}]}
            },
        }
    }
    assert not validator.is_valid(bad)  # subscriptions is required
