"""The report's lift section: each audience experiment's groups against its holdout."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import plotly.graph_objects as go

from retention.report.figures import PALETTE
from retention.report.labels import Money, words
from retention.report.model import NoRows, Section, Table
from retention.report.reader import has_table

SOURCE = "marts.rpt_audience_lift"
WINDOW_DAYS = 30  # dbt var lift_window_days: a purchase counts within this many days of entry


def lift_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every row of marts.rpt_audience_lift, audiences in name order, holdout first."""
    return con.execute(
        f"SELECT * FROM {SOURCE} ORDER BY audience, experiment, NOT is_holdout, group_name"
    ).fetchdf()


def _pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.1%}"


def _points(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{100 * value:+.1f}"


def _interval(low: float, high: float, fmt=_points) -> str:
    return "n/a" if pd.isna(low) else f"[{fmt(low)}, {fmt(high)}]"


def _audience(model: str) -> str:
    """`aud_winback_rule` -> `Winback rule`: the audience model in words."""
    return words(model.removeprefix("aud_"))


def _group_labels(df: pd.DataFrame) -> list[str]:
    return [f"{_audience(a)} · {g}" for a, g in zip(df["audience"], df["group_name"], strict=True)]


def lift_figure(df: pd.DataFrame) -> go.Figure:
    """Purchase-rate lift vs holdout with its 95% interval, one row per audience and group."""
    labels = _group_labels(df)
    lift = 100 * df["purchase_rate_lift"]
    fig = go.Figure(
        go.Scatter(
            x=list(lift),
            y=labels,
            mode="markers",
            marker={"size": 11, "color": PALETTE[0]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": list(100 * df["purchase_rate_lift_ci_high"] - lift),
                "arrayminus": list(lift - 100 * df["purchase_rate_lift_ci_low"]),
            },
            name="lift (points) with 95% interval",
        )
    )
    fig.add_vline(x=0, line_dash="dash", line_color="#6b7280")
    fig.update_xaxes(title="purchase-rate lift vs holdout, percentage points (95% interval)")
    fig.update_layout(
        template="plotly_white",
        height=max(260, 60 * len(df) + 120),
        margin={"l": 60, "r": 30, "t": 30, "b": 50},
        showlegend=False,
    )
    return fig


def members_figure(df: pd.DataFrame) -> go.Figure:
    """Members per audience and group: measured (window over) and window still open."""
    labels = _group_labels(df)
    fig = go.Figure()
    for i, (column, name) in enumerate(
        (("members_measured", "measured"), ("members_window_open", "window still open"))
    ):
        fig.add_trace(
            go.Bar(
                x=[int(v) for v in df[column]],
                y=labels,
                orientation="h",
                name=name,
                marker_color=PALETTE[i],
            )
        )
    fig.update_layout(
        barmode="stack",
        template="plotly_white",
        height=max(260, 40 * len(df) + 120),
        margin={"l": 60, "r": 30, "t": 30, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_xaxes(title="members assigned")
    return fig


def _table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "audience": df["audience"].map(_audience),
            "group": df["group_name"],
            "members": df["members"].astype(int),
            "measured": df["members_measured"].astype(int),
            "purchase rate": df["purchase_rate"].map(_pct),
            "lift (points)": df["purchase_rate_lift"].map(_points),
            "95% interval": [
                _interval(lo, hi)
                for lo, hi in zip(
                    df["purchase_rate_lift_ci_low"], df["purchase_rate_lift_ci_high"], strict=True
                )
            ],
            "relative lift": df["purchase_rate_relative_lift"].map(
                lambda v: "n/a" if pd.isna(v) else f"{v:+.0%}"
            ),
            "revenue / member lift": df["revenue_per_member_lift"].map(
                lambda v: "n/a" if pd.isna(v) else f"{v:+,.2f}"
            ),
            "note": df["sample_note"].fillna(""),
        }
    )


def lift(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Forest plot of purchase-rate lift per group (once measured), members, the lift table."""
    df = lift_rows(con)
    if df.empty:
        raise NoRows(
            f"{SOURCE} has no rows: it counts the members syncs with holdout_share or variants "
            "assigned before the build"
        )
    compared = df[~df["is_holdout"] & df["purchase_rate_lift"].notna()]
    if not compared.empty:
        section.figures.append(lift_figure(compared))
    section.figures.append(members_figure(df))
    significant = int(compared["is_purchase_rate_lift_significant"].fillna(False).sum())
    section.stats += [
        ("audiences with a holdout", str(df.loc[df["is_holdout"], "audience"].nunique())),
        ("members assigned", f"{int(df['members'].sum()):,}"),
        ("held out (never sent)", f"{int(df.loc[df['is_holdout'], 'members'].sum()):,}"),
        (
            "significant lifts",
            f"{significant} of {len(compared)} measured groups" if len(compared) else "none yet",
        ),
    ]
    open_members = int(df["members_window_open"].sum())
    if open_members:
        section.stats.append(("window still open", f"{open_members:,} members"))
    if compared.empty:
        section.notes.append(why_no_lift(df, first_entry(con)))
    section.tables.append(
        Table("Purchase within the window, each group vs its holdout", _table(df))
    )


def first_entry(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest day a member entered an experiment (activation.audience_assignments)."""
    if not has_table(con, "activation", "audience_assignments"):
        return None
    (day,) = con.execute("SELECT min(entry_date) FROM activation.audience_assignments").fetchone()
    return pd.Timestamp(day).date() if day is not None else None


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def why_no_lift(df: pd.DataFrame, entered: date | None) -> str:
    """Why no group has a lift yet (no holdout, or no window over) and when numbers appear."""
    if not df["is_holdout"].any():
        return (
            "No lift yet: these audiences have no holdout group, so there is no one to compare "
            "with. Ask the data team to set a holdout share on the audience's sync; lift appears "
            f"{WINDOW_DAYS} days after the next sync."
        )
    if df["members_measured"].sum():
        return (
            f"No lift yet: no holdout member has been in the audience for {WINDOW_DAYS} days "
            "(the window in which a purchase counts). Numbers appear once they have."
        )
    first = (
        f" The first members entered on {_day(entered)}, so the first numbers appear in the "
        f"first build on or after {_day(entered + timedelta(days=WINDOW_DAYS))}."
        if entered
        else ""
    )
    return (
        "No lift yet, and nothing is wrong: a member counts once they have been in the audience "
        f"for {WINDOW_DAYS} days (the window in which a purchase counts), and no member has "
        f"been in that long.{first} Until then the table shows how many people are in each group."
    )


SECTION = {
    "key": "lift",
    "title": "Did it work? Lift vs holdout",
    "lead": "Each audience with a holdout (a holdout share or A/B variants declared on its sync) "
    "compared with its members who were never sent: the share who bought within 30 days of "
    "entering, and the lift in percentage points with its 95% interval. An interval that crosses "
    "0 means no measurable effect; a note gives the smallest lift the sample could detect.",
    "sources": (SOURCE,),
    "builder": lift,
}
