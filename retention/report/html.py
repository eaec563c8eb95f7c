"""Render a Report as one self-contained HTML page (plotly.js inlined once, no network)."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from retention.report import labels
from retention.report.model import Report, Section, Table

_CSS = """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --card:#ffffff; --bg:#f5f7fb;
        --accent:#2563eb; --warn:#b45309; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { background:#0f172a; color:#f8fafc; padding:28px 40px 22px; }
code { font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; background:#f1f5f9;
       border-radius:4px; padding:0 4px; }
header h1 { margin:0 0 4px; font-size:26px; }
header p { margin:0; color:#cbd5e1; }
header p.header-note { margin:10px 0 4px; max-width:60em; color:#fde68a; }
nav { display:flex; flex-wrap:wrap; gap:6px 18px; padding:10px 40px; background:#1e293b; }
nav a { color:#bfdbfe; text-decoration:none; font-size:14px; }
main { max-width:1200px; margin:0 auto; padding:24px 24px 60px; }
.stats { display:flex; flex-wrap:wrap; gap:12px; margin:0 0 8px; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:10px;
        padding:10px 16px; min-width:150px; }
header .stat { background:#1e293b; border-color:#334155; }
.stat b { display:block; font-size:22px; }
.stat span { color:var(--muted); font-size:13px; }
header .stat span { color:#94a3b8; }
section { background:var(--card); border:1px solid var(--line); border-radius:14px;
          padding:20px 24px; margin:22px 0; }
section h2 { margin:0 0 4px; font-size:20px; }
section p.lead { margin:0 0 14px; color:var(--muted); }
.missing { border-left:4px solid var(--warn); background:#fffbeb; padding:10px 14px;
           color:#78350f; border-radius:6px; }
.note { margin:10px 0; }
.figure { width:100%; min-width:0; }
.table-wrap { overflow-x:auto; max-width:100%; }
table { border-collapse:collapse; width:100%; font-size:13px; margin-top:10px; }
caption { text-align:left; font-weight:600; padding:6px 0; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left;
         vertical-align:top; overflow-wrap:break-word; }
th { background:#f9fafb; }
th.num, td.num { text-align:right; font-variant-numeric:tabular-nums; }
td.num, td.when { white-space:nowrap; }
td.prose { min-width:20em; }
svg.spark { display:block; }
@media (max-width: 720px) {
  header, nav { padding-left:16px; padding-right:16px; }
  main { padding:12px 10px 40px; }
  section { padding:14px 12px; }
  .stat { min-width:0; flex:1 1 40%; }
  /* Each table row becomes a card of "column: value" lines, so nothing scrolls sideways. */
  table, tbody, tr, td, caption { display:block; width:100%; }
  thead { display:none; }
  tr { border-bottom:1px solid var(--line); padding:6px 0; }
  td, td.num, td.when, td.prose { display:grid; grid-template-columns:minmax(0, 2fr) minmax(0, 3fr);
       gap:8px; border:0; padding:2px 0; min-width:0; text-align:left; white-space:normal;
       overflow-wrap:anywhere; }
  td::before { content:attr(data-label); color:var(--muted); }
  td:empty { display:none; }
}
footer { color:var(--muted); font-size:13px; text-align:center; padding:20px; }
"""

# On a phone, long category labels of horizontal bar charts are wrapped onto lines (plotly
# clips what does not fit its margin), so are menu entries, and a legend at the side goes.
_RENDER_JS = """
var NARROW = 640, LABEL_CHARS = 22;
function wrapLabel(text) {
  var lines = [], line = '';
  String(text).split(' ').forEach(function (word) {
    if (line && (line + ' ' + word).length > LABEL_CHARS) { lines.push(line); line = word; }
    else { line = line ? line + ' ' + word : word; }
  });
  lines.push(line);
  return lines.join('<br>');
}
function fitNarrow(el, fig) {
  if (el.clientWidth >= NARROW) return;
  var layout = fig.layout;
  var legend = layout.legend || {};
  var named = fig.data.every(function (trace) {
    return (trace.y || []).every(function (y) { return String(y).indexOf(trace.name) >= 0; });
  });
  if (legend.orientation === 'v' || (legend.x !== undefined && legend.x > 1)) {
    // A legend at the side takes half a phone's width: drop it when every label already names
    // its trace (as `list · destination` does), else move it below the chart.
    if (named) layout.showlegend = false;
    else layout.legend = Object.assign({}, legend, {orientation: 'h', x: 0, xanchor: 'left',
      y: -0.15, yanchor: 'top', title: Object.assign({}, legend.title, {side: 'top'})});
    layout.margin = Object.assign({}, layout.margin, {r: 10});
  }
  (layout.updatemenus || []).forEach(function (menu) {
    (menu.buttons || []).forEach(function (b) { b.label = wrapLabel(b.label); });
  });
  var categories = [];
  fig.data.forEach(function (trace) {
    if (trace.orientation !== 'h' || !trace.y) return;
    trace.y.forEach(function (y) { if (categories.indexOf(y) < 0) categories.push(y); });
  });
  if (!categories.length) return;
  var texts = categories.map(wrapLabel);
  var lines = Math.max.apply(null, texts.map(function (t) { return t.split('<br>').length; }));
  layout.yaxis = Object.assign({}, layout.yaxis,
    {tickmode: 'array', tickvals: categories, ticktext: texts});
  // Bars are evenly spaced: each needs room for the longest wrapped label (16 px a line, 8
  // between), plus the axes and any legend below (one entry a row).
  var legendRows = layout.showlegend === false ? 0 : fig.data.length + 1;
  var needed = (16 * lines + 8) * categories.length + 130 + 22 * legendRows;
  layout.height = Math.max(layout.height || 450, needed);
}
document.querySelectorAll('script.figure-spec').forEach(function (spec) {
  var fig = JSON.parse(spec.textContent);
  var el = document.getElementById(spec.dataset.target);
  fitNarrow(el, fig);
  Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true});
});
"""


_CODE = re.compile(r"`([^`]+)`")


def markup(text: str) -> str:
    """Escaped HTML of `text` with `backticked` spans shown as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def _stats(stats: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<div class="stat"><b>{markup(value)}</b><span>{markup(label)}</span></div>'
        for label, value in stats
    )
    return f'<div class="stats">{items}</div>' if stats else ""


def sparkline(values: list[float], width: int = 96, height: int = 28) -> str:
    """A small inline SVG line of `values` (oldest first), its range in the tooltip."""
    points = [float(v) for v in values if v is not None and not pd.isna(v)]
    if not points:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = (width - 4) / max(1, len(points) - 1)
    coords = [
        (2 + i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in enumerate(points)
    ]
    if len(coords) == 1:
        x, y = coords[0]
        return (
            f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="one sync so far"><title>one sync so far</title>'
            f'<circle cx="{x + 2:.1f}" cy="{height / 2:.1f}" r="3" fill="#2563eb"/></svg>'
        )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    title = f"{len(points)} syncs: from {low:,.0f} to {high:,.0f}"
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="2"/></svg>'
    )


def _cell(value: object) -> str:
    """Table cell text: blanks for missing values, seconds for times, 2 decimals for floats."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float | np.floating):
        return f"{value:,.2f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _table(table: Table) -> str:
    df = table.frame
    if df.empty:  # the caption says so ("No failed rows"); an empty grid adds nothing
        return f'<p class="note"><b>{html.escape(table.caption)}</b></p>'
    numeric = {
        c: c not in table.sparklines and df[c].map(lambda v: _is_number(v) or pd.isna(v)).all()
        for c in df.columns
    }
    num = ' class="num"'
    names = {c: html.escape(labels.column(str(c))) for c in df.columns}
    head = "".join(f"<th{num if numeric[c] else ''}>{names[c]}</th>" for c in df.columns)
    rows = []
    for record in df.to_dict("records"):
        cells = []
        for column, value in record.items():
            if column in table.sparklines:
                cells.append(f'<td data-label="{names[column]}">{sparkline(list(value))}</td>')
                continue
            text = table.formats[column](value) if column in table.formats else _cell(value)
            cls = num if numeric[column] else ""
            if isinstance(value, pd.Timestamp | datetime):
                cls = ' class="when"'
            elif not numeric[column] and len(text) > 60:
                cls = ' class="prose"'
            cells.append(f'<td{cls} data-label="{names[column]}">{markup(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = html.escape(table.caption)
    return (
        f'<div class="table-wrap"><table><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _figure(section_key: str, index: int, figure) -> str:
    target = f"fig-{section_key}-{index}"
    spec = pio.to_json(figure, validate=False, pretty=False).replace("</", "<\\/")
    return (
        f'<div class="figure" id="{target}"></div>'
        f'<script type="application/json" class="figure-spec" data-section="{section_key}" '
        f'data-target="{target}">{spec}</script>'
    )


def _section(section: Section) -> str:
    status = "missing" if section.missing else "ok"
    parts = [
        f'<section id="{section.key}" data-section="{section.key}" data-status="{status}">',
        f"<h2>{html.escape(section.title)}</h2>",
        f'<p class="lead">{markup(section.lead)}</p>',
    ]
    if section.missing:
        parts.append(f'<p class="missing">{markup(section.missing)}</p>')
    else:
        parts.append(_stats(section.stats))
        parts.extend(f'<p class="note">{markup(note)}</p>' for note in section.notes)
        parts.extend(_figure(section.key, i, fig) for i, fig in enumerate(section.figures))
        parts.extend(_table(t) for t in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


def render(report: Report) -> str:
    """The complete HTML document for `report`."""
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in report.sections)
    body = "\n".join(_section(s) for s in report.sections)
    meta = json.dumps({"sections": [s.key for s in report.sections]})
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(report.title)}</title>
<style>{_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>{html.escape(report.title)}</h1>
<p>{markup(report.subtitle)}</p>
{"".join(f'<p class="header-note">{markup(note)}</p>' for note in report.notes)}
{_stats(report.stats)}
</header>
<nav>{nav}</nav>
<main>
{body}
</main>
<footer>Generated by <code>retention report</code>. Opens offline: every chart and its data
are inside this file.</footer>
<script type="application/json" id="report-meta">{meta}</script>
<script>{_RENDER_JS}</script>
</body>
</html>
"""
