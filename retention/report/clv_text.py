"""The CLV backtest in words and numbers: bias, MAE, interval coverage and top-decile capture.

Reads `ml.clv_model_runs.metrics.backtest` (ml/clv_backtest.py): every candidate predicted
each customer's spend over a past window from purchases before it, and the window's real
spend is the truth.
"""

from __future__ import annotations

import pandas as pd

from retention.report.model import Table

NAMES = {
    "bgnbd_gamma_gamma": "BG/NBD + Gamma-Gamma",
    "rfm_regression": "spend regression on RFM",
    "naive_past_spend": "naive: last period's spend",
}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def stats(backtest: dict) -> list[tuple[str, str]]:
    """Headline numbers of the chosen model's backtest."""
    chosen = backtest["candidates"][backtest["chosen_model"]]
    ci = chosen["top_decile_capture_interval"]
    rows = [
        ("CLV from", NAMES.get(backtest["chosen_model"], backtest["chosen_model"])),
        (
            "top 10% by predicted CLV brought",
            f"{chosen['top_decile_capture']:.1%} of the backtest's revenue "
            f"(CI {ci['lower']:.1%} to {ci['upper']:.1%}; perfect ranking "
            f"{backtest['perfect_top_decile_capture']:.1%})",
        ),
        ("backtest bias", f"{chosen['bias']:+.1%}" if chosen["bias"] is not None else "n/a"),
    ]
    coverage = backtest["candidates"]["bgnbd_gamma_gamma"].get("spend_interval")
    if coverage:
        rows.append(
            (
                f"{backtest['interval_level']:.0%} CLV intervals held",
                f"{coverage['coverage']:.1%} of customers' real spend",
            )
        )
    return rows


def _in_words(text: str) -> str:
    """The candidates' identifiers in `text` (the ML run's reasons) as their report names."""
    for name, words in NAMES.items():
        text = text.replace(name, words)
    return text


def notes(backtest: dict) -> list[str]:
    """How to read the backtest, and any bias warning."""
    window = backtest["window"]
    lines = [
        f"Backtest: the models were fitted on purchases before {window['start']} and compared "
        f"with what {backtest['customers']:,} customers really spent from then to "
        f"{window['end']} ({window['days']} days). Top-decile capture is the share of that "
        "revenue brought by the 10% of customers a model ranked highest; it is what the CLV "
        f"model is chosen on. {_in_words(backtest['choice_reason'])}.",
        "The CLV interval of a customer is a 90% posterior-predictive range of what that "
        "customer will spend (alive or not, how many purchases, how much each), so it is wide "
        "and often starts at 0; it is not a range for the average.",
    ]
    lines += [f"Warning: {_in_words(warning)}." for warning in backtest.get("warnings", [])]
    return lines


def table(backtest: dict) -> Table:
    """One row per candidate: bias, MAE and top-decile capture with its interval."""
    rows = []
    for name, values in backtest["candidates"].items():
        ci = values["top_decile_capture_interval"]
        rows.append(
            {
                "model": NAMES.get(name, name)
                + (" (used)" if name == backtest["chosen_model"] else ""),  # fmt: skip
                "bias": _pct(values["bias"]),
                "MAE per customer": f"{values['mae']:.2f}",
                "top-10% capture": f"{values['top_decile_capture']:.1%} "
                f"({ci['lower']:.1%} to {ci['upper']:.1%})",
            }
        )
    return Table("CLV backtest: predicted vs real spend", pd.DataFrame(rows))
