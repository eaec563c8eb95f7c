"""Plotly figures for the report: each function turns one tidy DataFrame into one figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
    return fig


def rfm_treemap(df: pd.DataFrame) -> go.Figure:
    """Segments sized by customers and coloured by revenue (columns segment/customers/revenue)."""
    share = df["customers"] / df["customers"].sum()
    text = [
        f"{c:,} customers ({s:.0%})<br>{r:,.0f} revenue"
        for c, s, r in zip(df["customers"], share, df["revenue"], strict=True)
    ]
    fig = go.Figure(
        go.Treemap(
            labels=list(df["segment"]),
            parents=[""] * len(df),
            values=[int(v) for v in df["customers"]],
            text=text,
            textinfo="label+text",
            marker={"colors": list(df["revenue"]), "colorscale": "Blues", "showscale": True},
            hovertemplate="<b>%{label}</b><br>%{text}<extra></extra>",
        )
    )
    return _style(fig, height=480)


def cohort_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Retention rate heatmap: rows are cohort months, columns months since first order."""
    z = matrix.to_numpy(dtype=float) * 100
    text = [[("" if pd.isna(v) else f"{v:.0f}%") for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            x=[int(c) for c in matrix.columns],
            y=[str(i) for i in matrix.index],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=min(100.0, float(pd.DataFrame(z[:, 1:]).max().max() or 100) * 1.1)
            if z.shape[1] > 1
            else 100,
            colorbar={"title": "% active"},
            hovertemplate="cohort %{y}<br>month %{x}: %{z:.1f}% active<extra></extra>",
        )
    )
    fig.update_xaxes(title="months since first order", dtick=1)
    fig.update_yaxes(title="first-order month", autorange="reversed", type="category")
    return _style(fig, height=max(360, 22 * len(matrix) + 120))


def sales_over_time(df: pd.DataFrame) -> go.Figure:
    """Monthly net revenue (bars) and purchase orders (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = [str(m)[:7] for m in df["month"]]
    fig.add_trace(
        go.Bar(x=months, y=list(df["revenue"]), name="net revenue", marker_color=PALETTE[0]),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=months, y=[int(v) for v in df["orders"]], name="orders", mode="lines+markers"),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="net revenue", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="orders", rangemode="tozero", secondary_y=True, showgrid=False)
    return _style(fig)


def clv_histogram(values: Sequence[float], top_decile_threshold: float) -> go.Figure:
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
    fig.update_xaxes(title="predicted CLV, next 365 days")
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
    fig.update_yaxes(title_text="NPS", range=[-100, 100], secondary_y=False)
    fig.update_yaxes(title_text="CSAT %", range=[0, 100], secondary_y=True, showgrid=False)
    return _style(fig)


def audience_current(df: pd.DataFrame) -> go.Figure:
    """Records held now per sync, coloured by destination (columns sync_name, destination, size)."""
    df = df.sort_values("size")
    fig = go.Figure()
    for i, (destination, rows) in enumerate(df.groupby("destination", sort=True)):
        fig.add_trace(
            go.Bar(
                x=[int(v) for v in rows["size"]],
                y=list(rows["sync_name"]),
                orientation="h",
                name=str(destination),
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(df["sync_name"]))
    fig.update_xaxes(title="members / records held at the destination")
    _style(fig, height=max(360, 22 * len(df) + 100))
    fig.update_layout(legend={"orientation": "v", "y": 0.5, "x": 1.02, "title": "destination"})
    return fig


def destination_history(df: pd.DataFrame) -> go.Figure:
    """Records held per destination after every sync run (columns destination, run_at, held)."""
    fig = go.Figure()
    for destination, rows in df.groupby("destination", sort=True):
        fig.add_trace(
            go.Scatter(
                x=[str(t) for t in rows["run_at"]],
                y=[int(v) for v in rows["held"]],
                name=str(destination),
                mode="lines+markers",
                line_shape="hv",
            )
        )
    fig.update_xaxes(title="sync run")
    fig.update_yaxes(title="members / records held", rangemode="tozero")
    return _style(fig, height=420)


def sync_outcomes(df: pd.DataFrame, outcomes: Sequence[str]) -> go.Figure:
    """Stacked bars of the last run's outcome counts per destination."""
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
                x=list(df["destination"]),
                y=[int(v) for v in df[outcome]],
                name=outcome,
                marker_color=colours.get(outcome, PALETTE[i % len(PALETTE)]),
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="rows in last run")
    return _style(fig)
