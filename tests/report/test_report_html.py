"""The HTML report on a real (small) pipeline run: every section present and holding data."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from cli.cli_run import run_cli

from report.report_page import read_page, table_dicts
from retention.report import labels
from retention.report.build import write_report
from retention.report.sections import SPECS

SECTION_KEYS = [spec.key for spec in SPECS]
POINT_KEYS = ("x", "y", "z", "values")


class _ReportParser(HTMLParser):
    """Collects each section's status and the plotly figure JSON embedded per section."""

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, str] = {}
        self.figures: dict[str, list[dict]] = {}
        self.script_sources: list[str] = []
        self.links: list[str] = []
        self._figure_section: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.status[a["data-section"]] = a["data-status"]
        if tag == "script" and a.get("src"):
            self.script_sources.append(a["src"])
        if tag == "link" and a.get("href"):
            self.links.append(a["href"])
        if tag == "script" and a.get("class") == "figure-spec":
            self._figure_section = a["data-section"]
            self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._figure_section is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._figure_section is not None:
            figure = json.loads("".join(self._buffer))
            self.figures.setdefault(self._figure_section, []).append(figure)
            self._figure_section = None


def parse(path: Path) -> _ReportParser:
    parser = _ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _points(trace: dict) -> int:
    return max((len(trace.get(key) or []) for key in POINT_KEYS), default=0)


def _traces(figure: dict) -> list[dict]:
    return figure["data"]


@pytest.mark.xdist_group("report")
def test_every_section_has_a_figure_with_points(pipeline) -> None:
    parsed = parse(pipeline.report_path)
    assert parsed.status == dict.fromkeys(SECTION_KEYS, "ok")
    for key in SECTION_KEYS:
        figures = parsed.figures.get(key, [])
        assert figures, f"section {key} has no figure"
        for figure in figures:
            assert any(_points(trace) > 0 for trace in _traces(figure)), f"{key}: empty figure"


@pytest.mark.xdist_group("report")
def test_report_opens_offline_with_plotly_inlined_once(pipeline) -> None:
    text = pipeline.report_path.read_text(encoding="utf-8")
    parsed = parse(pipeline.report_path)
    assert parsed.script_sources == []
    assert parsed.links == []
    assert text.count("Copyright (c) 2025 Plotly") + text.count("plotly.js v") >= 1
    assert text.count("function Plotly") + text.count("window.PlotlyConfig") <= 1


@pytest.mark.xdist_group("report")
def test_rfm_treemap_counts_every_scored_customer(pipeline) -> None:
    (treemap,) = _traces(parse(pipeline.report_path).figures["rfm"][0])
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        expected = dict(
            con.execute(
                "select rfm_segment, count(*) from marts.customer_rfm group by 1"
            ).fetchall()
        )
    assert dict(zip(treemap["labels"], treemap["values"], strict=True)) == expected


@pytest.mark.xdist_group("report")
def test_sales_figure_matches_purchase_revenue(pipeline) -> None:
    bars = _traces(parse(pipeline.report_path).figures["sales"][0])[0]
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        (revenue,) = con.execute(
            "select sum(net_revenue) from marts.fct_orders "
            "where is_purchase and customer_id is not null"
        ).fetchone()
    assert sum(bars["y"]) == pytest.approx(float(revenue), rel=1e-9)


@pytest.mark.xdist_group("report")
def test_churn_curves_compare_model_with_120_day_rule(pipeline) -> None:
    roc, calibration = parse(pipeline.report_path).figures["churn"]
    names = [trace["name"] for trace in _traces(roc)]
    assert any(name.startswith("churn model") for name in names), names
    assert any("120-day" in name for name in names), names
    for trace in _traces(roc)[:-1]:  # the last trace is the chance diagonal
        assert trace["x"][0] == 0 and trace["x"][-1] == 1
        assert all(0 <= v <= 1 for v in trace["y"])
    assert any(_points(trace) >= 3 for trace in _traces(calibration)[:-1])


@pytest.mark.xdist_group("report")
def test_last_syncs_cover_every_destination(pipeline) -> None:
    figure = parse(pipeline.report_path).figures["syncs"][0]
    shown = set(_traces(figure)[0]["y"])
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        synced = {
            row[0]
            for row in con.execute(
                "select distinct destination from activation.sync_runs"
            ).fetchall()
        }
    assert shown == {labels.destination(d) for d in synced}


@pytest.mark.xdist_group("report")
def test_demo_summary_reads_back_the_warehouse(pipeline) -> None:
    summary = pipeline.summary
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        (scored,) = con.execute("select count(*) from marts.customer_rfm").fetchone()
        (held,) = con.execute(
            "select count(*) from activation.sync_records where fields_hash is not null"
        ).fetchone()
    assert sum(summary.rfm_segments.values()) == scored
    assert summary.tables_built["marts"] >= 8
    assert "churn model" in summary.churn_auc and "120-day rule" in summary.churn_auc
    assert sum(row["members"] for row in summary.destinations) == held
    reached = {row["destination"] for row in summary.destinations if row["members"] > 0}
    assert reached >= {"klaviyo", "mailchimp", "iterable", "braze"}
    assert Path(summary.report_path).is_file()


@pytest.mark.xdist_group("report")
def test_report_command_writes_the_file(pipeline, tmp_path: Path) -> None:
    output = tmp_path / "out" / "report.html"
    done = run_cli(
        "report", "--output", str(output), env={"RETENTION_DUCKDB_PATH": str(pipeline.db_path)}
    )
    assert done.returncode == 0, done.stderr
    assert str(output.resolve()) in done.stdout
    assert parse(output).status == dict.fromkeys(SECTION_KEYS, "ok")


def test_sections_without_source_tables_say_what_to_run(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_rfm "
            "(customer_id varchar, rfm_segment varchar, monetary double, recency_days int)"
        )
    result = write_report(db, tmp_path / "report.html")
    parsed = parse(result.path)
    assert parsed.status == dict.fromkeys(SECTION_KEYS, "missing")
    assert "`marts.customer_rfm` has no rows" in result.sections_missing["rfm"]
    missing_history = result.sections_missing["audiences"]
    assert "`marts.rpt_sync_history` does not exist" in missing_history
    assert "retention build" in missing_history
    assert all("retention" in reason for reason in result.sections_missing.values())


@pytest.mark.xdist_group("report")
def test_report_words_come_from_the_data_not_the_code(pipeline) -> None:
    page = read_page(pipeline.report_path)
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        (segments,) = con.execute(
            "select count(distinct rfm_segment) from marts.customer_rfm"
        ).fetchone()
        (currency,) = con.execute(
            "select currency from marts.fct_orders where is_purchase "
            "group by 1 order by sum(net_revenue) desc limit 1"
        ).fetchone()
    assert f"one of {segments} segments" in page.sections["rfm"].lead
    assert page.sections["rfm"].stats["segments"] == str(segments)
    assert str(pipeline.db_path) not in page.header and ".duckdb" not in page.header
    assert f"amounts in {currency}" in page.header
    symbol = labels.Money(currency).symbol or currency
    revenue = table_dicts(page.sections["rfm"].tables["Customers and revenue per segment"])
    assert all(symbol in row["Revenue"] for row in revenue)
    for section in page.sections.values():
        for caption, rows in section.tables.items():
            assert not any(labels.is_snake_case(h) for h in rows[0]), (caption, rows[0])
        assert "`" not in section.lead + " ".join(section.notes), section.key
