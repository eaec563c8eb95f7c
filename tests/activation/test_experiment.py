"""Holdouts and A/B variants: validated config, stable assignment, holdout never sent."""

from __future__ import annotations

import pytest
from sync_helpers import member, one_sync, write_audience, write_project

from activation.config import load_syncs
from activation.engine import run_sync
from activation.errors import SyncConfigError

EMAIL_IDS = {"email": "email", "external_id": "customer_id"}
BASE = {"mode": "mirror", "channel": "email", "identifiers": EMAIL_IDS}
VARIANTS = {"A": 0.45, "B": 0.45, "holdout": 0.1}


def _spec(name: str, destination: str, target: str, **extra) -> dict:
    return {"name": name, "destination": destination, "target": target, **BASE, **extra}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"holdout_share": 0.6}, "holdout_share must be between 0 and 0.5"),
        ({"holdout_share": -0.1}, "holdout_share must be between 0 and 0.5"),
        ({"variants": {"A": 0.5, "B": 0.4}}, "variant shares must sum to 1, they sum to 0.9"),
        ({"variants": {"A": 0.3, "holdout": 0.7}}, "holdout_share must be between 0 and 0.5"),
        ({"variants": {"holdout": 0.1, "A": 0.9}, "holdout_share": 0.1}, "either holdout_share"),
        ({"variants": {"A": 0.9, "2x": 0.1}}, "variant name '2x' must start with a letter"),
        ({"experiment": "spring"}, "add holdout_share or variants"),
        (
            {"variants": VARIANTS, "fields": {"variant": "first_name"}},
            "fields already maps 'variant'",
        ),
    ],
)
def test_bad_split_is_one_line_error_naming_the_field(tmp_path, extra, message) -> None:
    with pytest.raises(SyncConfigError) as info:
        one_sync(tmp_path, _spec("vip_klaviyo", "klaviyo", "VIP", **extra))
    text = str(info.value)
    assert message in text and "\n" not in text
    assert "aud_test.yml" in text and "vip_klaviyo" in text


def test_syncs_of_one_experiment_must_share_the_split(tmp_path) -> None:
    write_project(
        tmp_path / "dbt_project",
        "aud_test",
        [
            _spec("vip_klaviyo", "klaviyo", "VIP", holdout_share=0.1),
            _spec("vip_braze", "braze", "aud_vip", holdout_share=0.2),
        ],
    )
    with pytest.raises(SyncConfigError, match="give both the same split"):
        load_syncs(tmp_path / "dbt_project")


def _assignments(db) -> dict[str, str]:
    rows = db.execute(
        "SELECT customer_id, group_name FROM activation.audience_assignments "
        "WHERE experiment = 'aud_test' AND audience = 'aud_test'"
    ).fetchall()
    return dict(rows)


def test_holdout_is_never_sent_and_assignments_hold_across_reruns(emus, db, tmp_path) -> None:
    project = tmp_path / "dbt_project"
    write_project(
        project,
        "aud_test",
        [
            _spec("vip_klaviyo", "klaviyo", "VIP", variants=VARIANTS, fields={"tier": "clv_tier"}),
            _spec("vip_braze", "braze", "aud_vip", variants=VARIANTS),
        ],
    )
    klaviyo, braze = load_syncs(project)
    db_path = tmp_path / "warehouse.duckdb"
    rows = [member(i) for i in range(400)] + [
        member(400 + i, email_consent=False) for i in range(20)
    ]
    write_audience(db_path, "aud_test", rows)

    for sync in (klaviyo, braze):
        assert run_sync(db, sync).status == "success"
    first = _assignments(db)
    consented = {r["customer_id"] for r in rows if r["has_email_consent"]}
    assert set(first) == consented  # consented members only, one row per customer
    assert db.execute("SELECT count(*) FROM activation.audience_assignments").fetchone()[0] == 400
    holdout = {c for c, g in first.items() if g == "holdout"}
    assert 20 <= len(holdout) <= 60  # 10% of 400, within sampling noise
    assert {g for g in first.values()} == {"A", "B", "holdout"}

    def at_destinations() -> tuple[set[str], set[str]]:
        emails = emus.klaviyo.list_members("VIP")
        return {e.removeprefix("customer").split("@")[0] for e in emails}, emus.braze.users_with(
            "aud_vip"
        )

    k_ids, b_ids = at_destinations()
    sent = {f"c{int(i):05d}" for i in k_ids}
    assert sent == consented - holdout and b_ids == consented - holdout
    profile = emus.klaviyo.profile("customer7@example.com")
    if first["c00007"] != "holdout":
        assert profile["properties"]["variant"] == first["c00007"]

    # Rerun with some members gone and new ones in: nobody changes group, holdout still unsent.
    rows = rows[50:] + [member(1000 + i) for i in range(100)]
    write_audience(db_path, "aud_test", rows)
    results = [run_sync(db, sync) for sync in (klaviyo, braze)]
    assert all(r.status == "success" for r in results)
    second = _assignments(db)
    assert {c: second[c] for c in first} == first
    new = {f"c{1000 + i:05d}" for i in range(100)}
    assert new <= set(second)
    holdout = {c for c, g in second.items() if g == "holdout"}
    consented = {r["customer_id"] for r in rows if r["has_email_consent"]}
    k_ids, b_ids = at_destinations()
    sent = {f"c{int(i):05d}" for i in k_ids}
    assert sent == consented - holdout and b_ids == consented - holdout
    assert not (sent | b_ids) & holdout

    # A third identical run sends nothing and assigns nobody new.
    emus.clear_logs()
    assert all(run_sync(db, s).write_requests == 0 for s in (klaviyo, braze))
    assert _assignments(db) == second


def test_dry_run_records_no_assignment(emus, db, tmp_path) -> None:
    sync = one_sync(tmp_path, _spec("vip_klaviyo", "klaviyo", "VIP", holdout_share=0.5))
    write_audience(tmp_path / "warehouse.duckdb", "aud_test", [member(i) for i in range(40)])
    result = run_sync(db, sync, dry_run=True)
    assert 0 < result.added < 40  # half held out
    assert _assignments(db) == {}


def test_variants_need_a_destination_that_takes_the_variant_field(tmp_path) -> None:
    spec = {
        **_spec("vip_mailchimp", "mailchimp", "VIP", variants=VARIANTS),
        "identifiers": {"email_address": "email"},
        "list_id": "abc123",
    }
    with pytest.raises(SyncConfigError, match="variants are sent as field 'variant'"):
        one_sync(tmp_path, spec)
    one_sync(tmp_path, {**spec, "variants": None, "holdout_share": 0.1})
