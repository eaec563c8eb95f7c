"""The words, numbers and ticks a marketer reads in the report (no warehouse needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.clv_backtest import choose
from retention.report import churn_text, clv_text, labels, lift, segments
from retention.report.audiences import audience_name, list_name, purpose
from retention.report.build import build_report
from retention.report.figures import shared_ticks
from retention.report.html import markup
from retention.report.plain import in_words

# Metrics as ml.churn_model_runs stores them, with baselines this report has no names for.
METRICS = {
    "scorers": {
        "model": {"roc_auc": 0.84, "roc_auc_ci": [0.81, 0.87]},
        "rule_120d": {"roc_auc": 0.71, "roc_auc_ci": {"low": 0.68, "high": 0.74}},
        "logreg_rfm": {"roc_auc": 0.79, "roc_auc_ci_low": 0.75, "roc_auc_ci_high": 0.83},
        "bgnbd_p_no_purchase": {"roc_auc": 0.42},
    },
    "validation_customers": 1234,
    "validation_churn_rate": 0.3,
    "expected_calibration_error": 0.05,
}


def test_column_names_read_as_words() -> None:
    assert labels.column("avg_recency_days") == "Avg. days since last order"
    assert labels.column("clv_tier") == "CLV tier"
    assert labels.column("skipped_no_consent") == "Skipped: no consent"
    assert labels.destination("whatsapp") == "WhatsApp"
    assert not any(labels.is_snake_case(labels.column(c)) for c in ("sync_name", "record_key"))


def test_money_and_counts() -> None:
    assert labels.Money("USD")(1234567.4) == "$1,234,567"
    assert labels.Money("GBP")(-12.5, decimals=2) == "-£12.50"
    assert labels.Money("SEK")(1500) == "1,500 SEK"
    assert labels.count(1, "customer") == "1 customer"
    assert labels.count(2500, "customer") == "2,500 customers"
    assert [labels.signed(v) for v in (12, -3, 0)] == ["+12", "\u22123", "0"]


@pytest.mark.parametrize(
    ("maxima", "whole", "steps"),
    [
        # The right axis read 1002 / 801 / 601 / 401 next to round revenue ticks.
        (([1002], [5540.0]), (True, False), [200, 1000]),
        (([66.5], [5540.0]), (True, False), [20, 2000]),
        (([3], [0.4]), (True, False), [1, 0.1]),
    ],
)
def test_two_axes_share_round_ticks(maxima, whole, steps) -> None:
    axes = shared_ticks(*maxima, whole=whole)
    assert [axis["dtick"] for axis in axes] == steps
    intervals = {axis["range"][1] / axis["dtick"] for axis in axes}
    assert len(intervals) == 1  # same number of steps: the grid lines line up
    for axis, values in zip(axes, maxima, strict=True):
        assert axis["range"][0] == 0 and axis["range"][1] >= max(values)


def test_backticks_render_as_code_not_raw() -> None:
    assert markup("run `retention sync` <now>") == ("run <code>retention sync</code> &lt;now&gt;")


def test_audience_description_becomes_name_and_purpose() -> None:
    description = (
        "Abandoned cart / checkout: one row per customer and abandonment. Who: customers whose "
        "latest add_to_cart is at least abandoned_cart_hours (4) old. Enters after N hours."
    )
    assert audience_name("aud_abandoned_cart", description) == "Abandoned cart / checkout"
    assert purpose(description) == "Customers whose latest add to cart is at least 4 hours old."
    assert audience_name("aud_ltv_tiers", None) == "LTV tiers"
    assert list_name("abandoned_cart_reminder", "x") == "`abandoned_cart_reminder`"
    assert list_name("VIP Early Access", "x") == "VIP Early Access"


def test_every_stored_baseline_is_described_with_its_interval() -> None:
    rows = churn_text.scorer_table(METRICS).frame
    assert list(rows["scorer"]) == [
        "churn model",
        "120-day rule",
        "logistic regression RFM",
        "BG/NBD P(no purchase in horizon)",
    ]
    by_name = rows.set_index("scorer")
    assert by_name.loc["churn model", "AUC"] == "0.840 (0.810 to 0.870)"
    assert by_name.loc["logistic regression RFM", "AUC"] == "0.790 (0.750 to 0.830)"
    assert by_name.loc["120-day rule", "AUC"] == "0.710 (0.680 to 0.740)"
    assert "logistic regression" in by_name.loc["logistic regression RFM", "what_it_is"]
    assert by_name.loc["BG/NBD P(no purchase in horizon)", "reading"] == "points the wrong way"


def test_metrics_explained_in_words_including_a_baseline_below_half() -> None:
    notes = churn_text.explain(METRICS)
    text = " ".join(notes)
    assert "0.5 is a coin flip" in text and "1,234 customers" in text and "30% churned" in text
    assert (
        "0.840 (strong), 0.050 ahead of the best baseline, logistic regression RFM (0.790)" in text
    )
    assert "between 0.810 and 0.870" in text
    (below,) = [n for n in notes if "below 0.5" in n]
    assert below.startswith("BG/NBD P(no purchase in horizon) scores 0.420")
    assert "points the wrong way" in below and "0.580" in below
    assert "5.0% off" in text


def test_clv_backtest_reasons_read_as_words() -> None:
    """The ML run's choice reason names candidates by identifier; the report must not."""
    rng = np.random.default_rng(0)
    captures = {"bgnbd_gamma_gamma": 0.40, "rfm_regression": 0.41, "naive_past_spend": 0.45}
    draws = {name: value + rng.normal(0, 0.05, 200) for name, value in captures.items()}
    backtest = {
        **choose(captures, draws, 0.9),
        "window": {"start": "2025-11-01", "end": "2026-11-01", "days": 365},
        "customers": 600,
        "warnings": ["naive_past_spend is biased by +30%"],
    }
    assert "naive_past_spend" in backtest["choice_reason"]  # the raw reason has identifiers
    words = " ".join(clv_text.notes(backtest)).split()
    assert [w for w in words if labels.is_snake_case(w.strip(".,:;()"))] == []
    assert "naive: last period's spend" in " ".join(clv_text.notes(backtest))


@pytest.mark.parametrize(
    ("description", "words"),
    [
        # the example: a dbt variable in code font next to its value
        (
            "customers whose latest add_to_cart in the last abandoned_cart_lookback_days (7) "
            "is at least abandoned_cart_hours (1) old",
            "customers whose latest add to cart in the last 7 days is at least 1 hour old",
        ),
        ("no purchase in the last winback_days (120)", "no purchase in the last 120 days"),
        ("on discount_seeker_min_affinity (50%) of orders", "on 50% of orders"),
        ("split into aov_band_count (3) bands", "split into 3 bands"),
        ("RFM segment in vip_rfm_segments (Champions)", "RFM segment in Champions"),
        ("at least full_price_min_orders = 2 purchases", "at least 2 purchases"),
        ("(BG/NBD p_alive > churn_min_p_alive, 0.3)", "(BG/NBD P(alive) > 0.3)"),
        (
            "in the next 7 days (birthday_window 'this_week') or in the as_of month ('this_month')",
            "in the next 7 days or in the as-of month",
        ),
    ],
)
def test_dbt_variables_in_descriptions_read_as_their_values(description, words) -> None:
    assert in_words(description) == words
    assert not labels.is_snake_case(words) and "`" not in words


def _seed(con: duckdb.DuckDBPyConnection, with_action: bool) -> None:
    """A two-segment `rfm_segment_rules` seed, with or without a `next_action` column."""
    action = ", 'Thank them' as next_action" if with_action else ""
    con.execute("create schema seeds")
    con.execute(
        f"create table seeds.rfm_segment_rules as select *{action} from (values "
        "(2, 'At Risk', 'Used to buy often but not for a long time'), "
        "(1, 'Champions', 'Bought recently and often and spend the most')) "
        "as t(priority, rfm_segment, description)"
    )


def test_segment_meaning_comes_from_the_seed_and_the_action_from_it_when_it_has_one() -> None:
    with duckdb.connect() as con:
        assert segments.segment_rules(con).empty  # no seed built yet: nothing invented
        _seed(con, with_action=False)
        rules = segments.segment_rules(con).set_index("segment")
        assert list(rules.index) == ["Champions", "At Risk"]  # the seed's priority order
        assert rules.loc["At Risk", "meaning"] == "Used to buy often but not for a long time"
        assert rules.loc["At Risk", "next_action"] == segments.NEXT_ACTIONS["At Risk"]
    with duckdb.connect() as con:
        _seed(con, with_action=True)
        assert set(segments.segment_rules(con)["next_action"]) == {"Thank them"}


def test_every_seed_segment_has_a_suggested_action() -> None:
    seed = pd.read_csv(Path(__file__).parents[2] / "dbt_project/seeds/rfm_segment_rules.csv")
    assert set(seed["rfm_segment"]) == set(segments.NEXT_ACTIONS)


def _lift_rows(holdout: bool, measured: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "audience": ["aud_winback_rule", "aud_winback_rule"],
            "is_holdout": [False, holdout],
            "members": [210, 55],
            "members_measured": [measured, 0],
        }
    )


def test_an_empty_lift_says_why_and_when_numbers_appear() -> None:
    waiting = lift.why_no_lift(_lift_rows(holdout=True, measured=0), date(2026, 11, 1))
    assert "no member has been in that long" in waiting
    assert "first build on or after 1 December 2026" in waiting  # entry + 30 days
    no_holdout = lift.why_no_lift(_lift_rows(holdout=False, measured=0), date(2026, 11, 1))
    assert "no holdout group" in no_holdout and "holdout share" in no_holdout
    holdout_open = lift.why_no_lift(_lift_rows(holdout=True, measured=12), None)
    assert "no holdout member has been in the audience for 30 days" in holdout_open


def test_mixed_currencies_say_what_it_means_and_what_to_do(tmp_path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_orders as select * from (values "
            "('GBP', 30.0, true), ('GBP', 20.0, true), ('GBP', 10.0, true), ('USD', 25.0, true))"
            " as t(currency, net_revenue, is_purchase)"
        )
    report = build_report(db)
    assert "amounts in GBP, mixed with USD" in report.subtitle
    (note,) = report.notes
    assert "25% of orders were paid in USD" in note and "without exchange rates" in note
    assert "currency conversion" in note  # what to do about it
