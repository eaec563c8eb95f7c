"""Plotly figures for the report: each function turns one tidy DataFrame into one figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from retention.report import labels

# Ten distinct colours: one per destination without repeats.
PALETTE = (
    "#2563eb",
    "#f97316",
    "#16a34a",
    "#9333ea",
    "#dc2626",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
)


def _style(fig: go.Figure, height: int = 420) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 30, "t": 30, "b": 50},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        legend={"orientation": "h", "y": -0.18},
        colorway=list(PALETTE),
    )
    # Room for long or rotated tick labels instead of clipping them on narrow screens.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def rfm_treemap(df: pd.DataFrame, money: labels.Money) -> go.Figure:
    """Segments sized by customers and coloured by revenue (columns segment/customers/revenue).

    Box text never shrinks below 12 px: a label that does not fit is hidden (the hover and the
    table below still show it) rather than drawn unreadably small.
    """
    share = df["customers"] / df["customers"].sum()
    # Long names on two lines, so they fit narrow boxes at a readable size.
    names = [name.replace(" ", "<br>", 1) if len(name) > 12 else name for name in df["segment"]]
    hover = [
        f"{labels.count(c, 'customer')} ({s:.0%})<br>{money(r)} revenue"
        for c, s, r in zip(df["customers"], share, df["revenue"], strict=True)
    ]
    fig = go.Figure(
        go.Treemap(
            labels=list(df["segment"]),
            parents=[""] * len(df),
            values=[int(v) for v in df["customers"]],
            text=names,
            customdata=hover,
            texttemplate="<b>%{text}</b><br>%{percentRoot:.0%}",
            textfont={"size": 15},
            pathbar={"visible": False},
            marker={
                "colors": list(df["revenue"]),
                "pad": {"t": 0, "l": 0, "r": 0, "b": 0},  # no dark frame of the implicit root
                "colorscale": "Blues",
                "showscale": True,
                "colorbar": {"title": {"text": "revenue"}, "tickprefix": money.axis_prefix},
            },
            hovertemplate="<b>%{label}</b><br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(uniformtext={"minsize": 12, "mode": "hide"})
    return _style(fig, height=520)


# Above this many months the heatmap cells are too small for readable numbers: hover shows them.
_MAX_LABELLED_MONTHS = 18


def cohort_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Retention rate heatmap: rows are cohort months, columns months since first order."""
    z = matrix.to_numpy(dtype=float) * 100
    labelled = matrix.shape[1] <= _MAX_LABELLED_MONTHS
    text = [[("" if pd.isna(v) else f"{v:.0f}%") for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            x=[int(c) for c in matrix.columns],
            y=[str(i) for i in matrix.index],
            text=text,
            texttemplate="%{text}" if labelled else None,
            textfont={"size": 11},
            colorscale="Blues",
            zmin=0,
            zmax=min(100.0, float(pd.DataFrame(z[:, 1:]).max().max() or 100) * 1.1)
            if z.shape[1] > 1
            else 100,
            colorbar={"title": "% active"},
            hovertemplate="cohort %{y}<br>month %{x}: %{z:.1f}% active<extra></extra>",
        )
    )
    fig.update_xaxes(title="months since first order", dtick=1 if labelled else None)
    fig.update_yaxes(title="first-order month", autorange="reversed", type="category")
    return _style(fig, height=max(360, 22 * len(matrix) + 120))


def shared_ticks(*columns: Sequence[float], whole: Sequence[bool] = ()) -> list[dict]:
    """Axis settings from 0 in round steps (1, 2, 2.5 or 5 x 10^k), one dict per column.

    All axes get the same number of steps, so a right axis shares the left axis's grid lines
    and reads 0 / 250 / 500 / 750 / 1,000 instead of 401 / 601 / 801 / 1002. The number of
    steps (4 to 6) is the one that wastes the least space above the largest value.
    """
    tops = [max([float(v) for v in c if not pd.isna(v)] or [0.0]) for c in columns]
    flags = list(whole) + [False] * (len(columns) - len(whole))

    def steps(intervals: int) -> list[float]:
        out = []
        for top, is_whole in zip(tops, flags, strict=True):
            step = labels.nice_step(top, intervals)
            if is_whole and step % 1:  # counts: 0.25 or 0.5 -> 1, 2.5 -> 5
                step = 1.0 if step < 1 else 5.0
            out.append(step)
        return out

    def waste(intervals: int) -> float:
        return sum(
            (s * intervals - top) / (s * intervals)
            for s, top in zip(steps(intervals), tops, strict=True)
        )

    best = min((4, 5, 6), key=waste)
    return [
        {"range": [0, step * best], "tick0": 0, "dtick": step, "tickmode": "linear"}
        for step in steps(best)
    ]


def sales_over_time(df: pd.DataFrame, money: labels.Money) -> go.Figure:
    """Monthly net revenue (bars) and purchase orders (line, right axis) on aligned round ticks."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = [str(m)[:7] for m in df["month"]]
    fig.add_trace(
        go.Bar(
            x=months,
            y=list(df["revenue"]),
            name="net revenue",
            marker_color=PALETTE[0],
            hovertemplate=f"%{{x}}: {money.axis_prefix}%{{y:,.0f}}<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=months, y=[int(v) for v in df["orders"]], name="orders", mode="lines+markers"),
        secondary_y=True,
    )
    revenue_axis, orders_axis = shared_ticks(df["revenue"], df["orders"], whole=(False, True))
    fig.update_yaxes(
        title_text="net revenue" + money.axis_title_suffix,
        tickprefix=money.axis_prefix,
        tickformat=",.0f",
        secondary_y=False,
        **revenue_axis,
    )
    fig.update_yaxes(
        title_text="orders", tickformat=",d", secondary_y=True, showgrid=False, **orders_axis
    )
    return _style(fig)


def clv_histogram(
    values: Sequence[float], top_decile_threshold: float, money: labels.Money
) -> go.Figure:
    """Distribution of predicted 365-day CLV with the top-decile threshold marked."""
    fig = go.Figure(
        go.Histogram(x=list(values), nbinsx=60, marker_color=PALETTE[0], name="customers")
    )
    fig.add_vline(
        x=top_decile_threshold,
        line_dash="dash",
        line_color=PALETTE[1],
        annotation_text="top 10% start here",
        annotation_position="top right",
    )
    fig.update_xaxes(
        title="predicted CLV, next 365 days" + money.axis_title_suffix,
        tickprefix=money.axis_prefix,
    )
    fig.update_yaxes(title="customers")
    return _style(fig)


def roc_figure(curves: Mapping[str, tuple[Sequence[float], Sequence[float], float]]) -> go.Figure:
    """ROC curves (fpr, tpr, auc) per scorer, the chance diagonal for reference."""
    fig = go.Figure()
    for i, (name, (fpr, tpr, auc)) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=list(fpr),
                y=list(tpr),
                mode="lines",
                name=f"{name} (AUC {auc:.3f})",
                line={"width": 3 if i == 0 else 2, "color": PALETTE[i % len(PALETTE)]},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot", "color": "#999"}
        )
    )
    fig.update_xaxes(title="false positive rate", range=[0, 1])
    fig.update_yaxes(title="true positive rate", range=[0, 1])
    return _style(fig, height=460)


def calibration_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
) -> go.Figure:
    """Mean predicted vs observed churn rate per probability bin, the diagonal is perfect."""
    fig = go.Figure()
    for i, (name, (predicted, observed)) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=list(predicted),
                y=list(observed),
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly calibrated",
            line={"dash": "dot", "color": "#999"},
        )
    )
    fig.update_xaxes(title="predicted churn probability", range=[0, 1])
    fig.update_yaxes(title="observed churn rate", range=[0, 1])
    return _style(fig, height=460)


def cx_trend(df: pd.DataFrame, nps: str, csat: str) -> go.Figure:
    """NPS (left axis, -100..100) and CSAT % (right axis) per month."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = [str(m)[:7] for m in df["month"]]
    fig.add_trace(
        go.Scatter(x=months, y=list(df[nps]), name="NPS", mode="lines+markers"),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=months, y=list(df[csat]), name="CSAT %", mode="lines+markers"),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="NPS", range=[-100, 100], dtick=50, secondary_y=False)
    fig.update_yaxes(
        title_text="CSAT %", range=[0, 100], dtick=25, secondary_y=True, showgrid=False
    )
    return _style(fig)


def audience_current(df: pd.DataFrame) -> go.Figure:
    """Members per list now, coloured by destination (columns label, destination, members_now)."""
    df = df.sort_values("members_now")
    fig = go.Figure()
    for i, (destination, rows) in enumerate(df.groupby("destination", sort=True)):
        fig.add_trace(
            go.Bar(
                x=[int(v) for v in rows["members_now"]],
                y=list(rows["label"]),
                orientation="h",
                name=str(destination),
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate="%{y}: %{x:,} members<extra></extra>",
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(df["label"]), automargin=True)
    fig.update_xaxes(title="members now", tickformat=",d")
    _style(fig, height=max(360, 24 * len(df) + 100))
    fig.update_layout(legend={"orientation": "v", "y": 0.5, "x": 1.02, "title": "destination"})
    return fig


def audience_over_time(df: pd.DataFrame) -> go.Figure:
    """Size of every list at each of its syncs (columns label, run_at, size).

    One line per list; a menu shows all lists or one at a time.
    """
    fig = go.Figure()
    names = []
    for i, (name, rows) in enumerate(df.groupby("label", sort=True)):
        names.append(str(name))
        fig.add_trace(
            go.Scatter(
                x=[str(t)[:16] for t in rows["run_at"]],
                y=[int(v) for v in rows["size"]],
                name=str(name),
                mode="lines+markers",
                line={"color": PALETTE[i % len(PALETTE)]},
                hovertemplate=f"{name}<br>%{{x}}: %{{y:,}} members<extra></extra>",
            )
        )
    buttons = [{"label": "All lists", "method": "update", "args": [{"visible": True}]}]
    buttons += [
        {
            "label": name,
            "method": "update",
            "args": [{"visible": [other == name for other in names]}],
        }
        for name in names
    ]
    fig.update_xaxes(title="sync run", type="category")
    fig.update_yaxes(title="members", rangemode="tozero", tickformat=",d")
    _style(fig, height=460)
    fig.update_layout(
        showlegend=False,
        updatemenus=[{"buttons": buttons, "x": 0, "xanchor": "left", "y": 1.12, "yanchor": "top"}],
        margin={"t": 60},
    )
    return fig


def sync_outcomes(df: pd.DataFrame, outcomes: Sequence[str]) -> go.Figure:
    """Stacked horizontal bars of the last run's outcome counts per destination.

    Horizontal, so vendor names stay readable on a phone instead of rotating under the legend.
    """
    fig = go.Figure()
    colours = {
        "added": PALETTE[0],
        "updated": PALETTE[1],
        "removed": PALETTE[3],
        "failed": "#dc2626",
        "skipped_no_consent": "#a3a3a3",
        "skipped_suppressed": "#d4d4d4",
    }
    for i, outcome in enumerate(outcomes):
        fig.add_trace(
            go.Bar(
                y=list(df["destination"]),
                x=[int(v) for v in df[outcome]],
                orientation="h",
                name=labels.outcome(outcome),
                marker_color=colours.get(outcome, PALETTE[i % len(PALETTE)]),
                hovertemplate="%{y}: %{x:,}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="people in the last run", tickformat=",d")
    return _style(fig, height=max(360, 34 * len(df) + 160))
