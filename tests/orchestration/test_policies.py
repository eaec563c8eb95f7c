"""Every asset has a group, an owner and (marts, audiences) a freshness policy; audience size
checks compare a build only with the last build of the same kind."""

import dagster as dg
import pytest

from orchestration.defs.activation.checks import build_size_change_check
from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.policies import (
    DAILY_DEADLINE_CRON,
    DATA_TEAM,
    GROUP_OWNERS,
    MARKETING_TEAM,
    TRIGGERED_FAIL_WINDOW,
    apply_policies,
)

pytestmark = pytest.mark.xdist_group("orchestration_defs")


@pytest.fixture(scope="module")
def specs(defs: dg.Definitions) -> list[dg.AssetSpec]:
    return list(defs.resolve_all_asset_specs())


def test_every_asset_has_a_named_group_an_owner_and_a_description(specs) -> None:
    assert {spec.group_name for spec in specs} == set(GROUP_OWNERS)
    for spec in specs:
        assert spec.owners, spec.key
        assert not [o for o in spec.owners if o.endswith("@example.com")], spec.key
        assert spec.description, spec.key
    by_key = {spec.key: spec for spec in specs}
    consent = by_key[dg.AssetKey(["activation", "provider_consent"])]
    assert consent.group_name == "activation" and "consent status" in consent.description
    assert by_key[dg.AssetKey(["marts", "dim_customers"])].owners == [DATA_TEAM]
    assert by_key[dg.AssetKey(["raw", "orders"])].owners == [DATA_TEAM]
    assert by_key[dg.AssetKey(["audiences", "aud_winback_rule"])].owners == [MARKETING_TEAM]


def test_marts_and_audiences_have_freshness_policies(specs) -> None:
    for spec in specs:
        fresh = spec.freshness_policy is not None
        assert fresh == (spec.group_name in {"marts", "audiences"}), spec.key
    by_key = {spec.key: spec for spec in specs}
    hourly = by_key[dg.AssetKey(["audiences", "aud_abandoned_cart"])].freshness_policy
    daily = by_key[dg.AssetKey(["audiences", "aud_winback_rule"])].freshness_policy
    assert hourly.fail_window.to_timedelta() == TRIGGERED_FAIL_WINDOW
    assert daily.deadline_cron == DAILY_DEADLINE_CRON


def test_a_real_owner_is_kept_and_a_placeholder_replaced() -> None:
    spec = dg.AssetSpec("x", group_name="audiences", owners=["ana@shop.io"])
    assert apply_policies(spec).owners == ["ana@shop.io"]
    placeholder = spec.replace_attributes(owners=["marketing@example.com"])
    assert apply_policies(placeholder).owners == [MARKETING_TEAM]


class Members(dg.Config):
    """How many members the test audience has in this run."""

    rows: int


AUDIENCE = dg.AssetKey(["audiences", "aud_test"])


@dg.asset(key=AUDIENCE, required_resource_keys={"build_options"})
def audience(config: Members) -> dg.MaterializeResult:
    """An audience reporting its row count, as the dbt assets do."""
    return dg.MaterializeResult(metadata={"dagster/row_count": config.rows})


def test_size_change_compares_only_builds_of_the_same_kind() -> None:
    check = build_size_change_check(AUDIENCE)
    outcomes = []
    with dg.instance_for_test() as instance:
        for as_of, rows in [(None, 100), ("2025-06-01", 10), (None, 110), ("2025-06-01", 30)]:
            result = dg.materialize(
                [audience, check],
                instance=instance,
                resources={"build_options": BuildOptions()},
                run_config={
                    "ops": {"audiences__aud_test": {"config": {"rows": rows}}},
                    "resources": {"build_options": {"config": {"as_of_date": as_of}}},
                },
            )
            (evaluation,) = result.get_asset_check_evaluations()
            outcomes.append((evaluation.passed, evaluation.description))
    assert outcomes[0][0] and outcomes[0][1].startswith("first run of its kind")
    assert outcomes[1][0] and outcomes[1][1].startswith("first run of its kind")  # not 100 -> 10
    assert outcomes[2] == (True, "100 -> 110 members (10% change vs allowed 50%)")
    assert outcomes[3] == (False, "10 -> 30 members (200% change vs allowed 50%)")
