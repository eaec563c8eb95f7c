"""Build each report section from the warehouse; a section whose source is absent says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention.report import (
    audiences,
    churn_text,
    clv_text,
    curves,
    figures,
    labels,
    lift,
    queries,
    segments,
)
from retention.report.labels import Money
from retention.report.model import NoRows, Section, Table
from retention.report.reader import has_table

SectionBuilder = Callable[[duckdb.DuckDBPyConnection, Section, Money], None]

_HOW_TO_BUILD = "run `retention build` (or `retention demo`) to create it"
_HOW_TO_SYNC = "run `retention build`, then `retention sync` (or `retention demo`) to record syncs"


def _whole(value: object) -> str:
    return "" if pd.isna(value) else f"{round(float(value)):,}"


def rfm(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Treemap of RFM segments with customer counts and revenue."""
    df = queries.rfm_segments(con)
    if df.empty:
        raise NoRows("marts.customer_rfm has no rows")
    section.lead = (
        f"Every customer placed in one of {len(df)} segments by recency, frequency and monetary "
        "value; the table says what each segment means and what to do next. Box size = "
        "customers, colour = revenue."
    )
    section.figures.append(figures.rfm_treemap(df, money))
    top = df.sort_values("revenue", ascending=False).iloc[0]
    section.stats += [
        ("segments", f"{len(df):,}"),
        ("customers scored", f"{int(df['customers'].sum()):,}"),
        ("top revenue segment", f"{top['segment']} ({top['revenue'] / df['revenue'].sum():.0%})"),
    ]
    table = df.assign(
        share=(df["customers"] / df["customers"].sum()).map("{:.1%}".format),
    )[["segment", "customers", "share", "revenue", "avg_recency_days"]]
    table = table.merge(segments.segment_rules(con), on="segment", how="left")
    table = table.fillna({"meaning": "", "next_action": ""})
    section.tables.append(
        Table(
            "Customers and revenue per segment",
            table,
            formats={"revenue": money, "avg_recency_days": _whole},
        )
    )


def cohorts(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Heatmap of the share of each monthly cohort still buying N months later."""
    df = queries.cohort_retention(con)
    if df.empty:
        raise NoRows("marts.cohort_retention has no rows")
    matrix = df.pivot_table(
        index=df["cohort_month"].astype(str).str[:7],
        columns="months_since_first_order",
        values="retention_rate",
        aggfunc="max",
    ).sort_index()
    section.figures.append(figures.cohort_heatmap(matrix))
    month_1 = matrix[1].dropna() if 1 in matrix.columns else pd.Series(dtype=float)
    section.stats += [
        ("cohorts", str(len(matrix))),
        ("avg. month-1 retention", f"{month_1.mean():.1%}" if len(month_1) else "n/a"),
    ]


def sales(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Monthly net revenue and purchase orders."""
    df = queries.monthly_sales(con)
    if df.empty:
        raise NoRows("marts.cx_metrics has no month with purchases")
    section.figures.append(figures.sales_over_time(df, money))
    section.stats += [
        ("months", f"{len(df):,}"),
        ("net revenue", money(df["revenue"].sum())),
        ("orders", f"{int(df['orders'].sum()):,}"),
    ]


def clv(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Distribution of predicted CLV and the share of value held by the top decile."""
    df = queries.clv_values(con)
    if df.empty:
        raise NoRows("marts.customer_ltv has no predicted_clv_365d values")
    values = np.sort(df["clv"].to_numpy(dtype=float))[::-1]
    top_n = max(1, int(np.ceil(len(values) * 0.1)))
    total = float(values.sum())
    share = float(values[:top_n].sum()) / total if total > 0 else 0.0
    section.figures.append(figures.clv_histogram(values, float(values[top_n - 1]), money))
    section.stats += [
        ("customers with a prediction", f"{len(values):,}"),
        ("predicted 365-day value", money(total)),
        ("top 10% hold", f"{share:.0%} of it"),
    ]
    tiers = (
        df.groupby("clv_tier", dropna=False)["clv"]
        .agg(customers="count", predicted_clv="sum", average="mean")
        .reset_index()
        .sort_values("predicted_clv", ascending=False)
    )
    tiers["clv_tier"] = tiers["clv_tier"].fillna("none").map(labels.words)
    tiers = tiers.rename(columns={"average": "average_per_customer"})
    section.tables.append(
        Table(
            "Predicted CLV per tier",
            tiers,
            formats={"predicted_clv": money, "average_per_customer": money},
        )
    )
    run = queries.clv_scoring_run(con)
    if run is not None:
        section.stats.append(("fitted as of", _as_of(run)))
    backtest = (run or {}).get("metrics", {}).get("backtest", {})
    if backtest.get("status") == "evaluated":
        section.stats += clv_text.stats(backtest)
        section.notes += clv_text.notes(backtest)
        section.tables.append(clv_text.table(backtest))


def churn(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """ROC and calibration curves of the churn model against its baselines."""
    run = queries.churn_scoring_run(con)
    if run is None:
        raise NoRows("ml.churn_model_runs has no run that produced ml.churn_scores")
    metrics = run["metrics"]
    if metrics.get("status") in ("not_trained", "failed"):
        raise NoRows(f"no churn model was trained as of this build: {metrics.get('reason')}")
    model_curves = curves.from_metrics(metrics)
    section.figures.append(figures.roc_figure(model_curves.roc))
    section.figures.append(figures.calibration_figure(model_curves.calibration))
    section.stats += [
        (f"AUC, {name}", f"{auc:.3f}") for name, auc in curves.auc_by_scorer(metrics).items()
    ]
    if "chosen_model" in metrics:  # honest comparison: see docs/ml.md
        margin = metrics["margin_over_best_baseline"]
        section.stats += [
            ("scores from", curves.display_name(metrics["chosen_model"])),
            (
                f"margin over {curves.display_name(metrics['best_baseline'])}",
                f"{margin['margin']:+.3f} (CI {margin['lower']:+.3f} to {margin['upper']:+.3f})",
            ),
        ]
    section.stats += [
        ("validation customers", f"{metrics.get('validation_customers', 0):,}"),
        ("model version", str(run["parameters"].get("model_version", "unknown"))),
        ("trained as of", _as_of(run)),
        ("trained", str(run["trained_at"])[:16]),
    ]
    section.notes += churn_text.explain(metrics)
    section.tables.append(churn_text.scorer_table(metrics))


def _as_of(run: dict) -> str:
    """The as-of date a model run was trained or fitted for (its data window's end)."""
    return str(run["parameters"].get("as_of") or run.get("data_window_end") or "unknown")[:10]


def cx(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Monthly NPS and CSAT."""
    df = queries.cx_monthly(con)
    if df.empty:
        raise NoRows("marts.cx_metrics has no month with NPS or CSAT")
    section.figures.append(figures.cx_trend(df, "nps", "csat"))
    last = df.iloc[-1]
    section.stats += [
        ("months with feedback", str(len(df))),
        (
            "responses",
            f"{int(df['nps_responses'].sum()):,} NPS, {int(df['csat_responses'].sum()):,} CSAT",
        ),
        ("latest NPS", "n/a" if pd.isna(last["nps"]) else f"{last['nps']:.0f}"),
        ("latest CSAT", "n/a" if pd.isna(last["csat"]) else f"{last['csat']:.0f}%"),
    ]


@dataclass(frozen=True)
class SectionSpec:
    """A section: its title and lead text, the tables it reads and how to create them."""

    key: str
    title: str
    lead: str
    sources: tuple[str, ...]
    how: str
    builder: SectionBuilder


SPECS: tuple[SectionSpec, ...] = (
    SectionSpec(
        key="rfm",
        title="RFM segments",
        lead="Every customer placed in one segment by recency, frequency and monetary value.",
        sources=("marts.customer_rfm",),
        how=_HOW_TO_BUILD,
        builder=rfm,
    ),
    SectionSpec(
        key="cohorts",
        title="Monthly cohort retention",
        lead="Share of each first-order month's customers who bought again N months later.",
        sources=("marts.cohort_retention",),
        how=_HOW_TO_BUILD,
        builder=cohorts,
    ),
    SectionSpec(
        key="sales",
        title="Revenue and orders over time",
        lead="Net revenue of purchases (cancelled and returned orders excluded) and order count "
        "per month.",
        sources=("marts.cx_metrics",),
        how=_HOW_TO_BUILD,
        builder=sales,
    ),
    SectionSpec(
        key="clv",
        title="Predicted customer lifetime value",
        lead="Predicted value over the next 365 days per customer, from the model that ranked "
        "customers best in an out-of-time backtest (BG/NBD + Gamma-Gamma unless beaten).",
        sources=("marts.customer_ltv",),
        how=_HOW_TO_BUILD,
        builder=clv,
    ),
    SectionSpec(
        key="churn",
        title="Churn model vs baselines",
        lead="Out-of-time validation of the churn model against the 120-day no-purchase rule and "
        "other baselines: ROC curves (higher is better) and calibration (closer to the "
        "diagonal is better).",
        sources=("ml.churn_model_runs",),
        how=_HOW_TO_BUILD,
        builder=churn,
    ),
    SectionSpec(
        key="cx",
        title="NPS and CSAT",
        lead=(
            "Net Promoter Score (% promoters - % detractors) and CSAT (% of 4-5 ratings) per month."
        ),
        sources=("marts.cx_metrics",),
        how=_HOW_TO_BUILD,
        builder=cx,
    ),
    SectionSpec(
        key="audiences",
        title="Audiences and their lists",
        lead=(
            "What each audience is for, the list, segment or template it fills at each "
            "destination, how many people it holds now (for message syncs: messages due), the "
            "change since the previous sync, and its size at every sync."
        ),
        sources=("marts.rpt_sync_history",),
        how=_HOW_TO_SYNC,
        builder=audiences.audience_sizes,
    ),
    SectionSpec(
        key="syncs",
        title="Last sync per destination",
        lead="What the latest run of every list added, updated, removed, skipped (no consent, or "
        "unsubscribed at the provider) and failed, with the destination's error for each failed "
        "row.",
        sources=("marts.rpt_sync_history", "activation.sync_row_errors"),
        how=_HOW_TO_SYNC,
        builder=audiences.last_syncs,
    ),
    SectionSpec(**lift.SECTION, how="run `retention build` after `retention sync`"),
)


_NAME = re.compile(r"(?<![`\w.])([a-z][a-z0-9]*(?:[._][a-z0-9]+)+)(?![`\w])")


def _names(text: str) -> str:
    """Table and column names in an explanation as code: the data team's words, quoted."""
    return _NAME.sub(lambda m: f"`{m[1]}`" if "_" in m[1] else m[1], text)


def build_sections(con: duckdb.DuckDBPyConnection, money: Money) -> list[Section]:
    """Every section in reading order; absent or empty sources are explained, not fatal."""
    sections = []
    for spec in SPECS:
        section = Section(key=spec.key, title=spec.title, lead=spec.lead)
        absent = [s for s in spec.sources if not has_table(con, *s.split("."))]
        if absent:
            tables = _names(", ".join(absent))
            section.missing = f"Nothing to show yet: table {tables} does not exist yet; {spec.how}."
        else:
            try:
                spec.builder(con, section, money)
            except NoRows as exc:
                section.missing = f"Nothing to show yet: {_names(str(exc))}; {spec.how}."
        sections.append(section)
    return sections
