"""The report as a reader sees it: rendered in headless Chromium, screenshotted, layout-checked.

Needs a headless Chromium (Debian: `apt-get install -y --no-install-recommends
chromium-headless-shell fonts-dejavu-core`); skipped with that hint when there is none. Set
REPORT_SCREENSHOT_DIR to keep the PNGs (CI can upload them for review).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from activation import state
from retention.report.build import write_report

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_report.py"
_spec = importlib.util.spec_from_file_location("screenshot_report", _SCRIPT)
shots = importlib.util.module_from_spec(_spec)
sys.modules["screenshot_report"] = shots
_spec.loader.exec_module(shots)

needs_browser = pytest.mark.skipif(
    shots.find_browser() is None,
    reason=f"no headless Chromium on PATH; install it with `{shots.INSTALL_HINT}`",
)
WIDTHS = (1280, 420)  # a laptop and a phone


def _add_history(db: Path) -> None:
    """Two earlier sync runs per list (80% and 90% of today's size), so history charts draw.

    Written with the sync engine's own state functions, as a week of daily syncs would be.
    """
    with duckdb.connect(str(db)) as con:
        runs = con.execute(
            "select sync_name, destination, audience_model, target, audience_size, started_at "
            "from activation.sync_runs where not dry_run"
        ).fetchall()
        for sync_name, destination, model, target, size, started in runs:
            for days, share in ((2, 0.8), (1, 0.9)):
                run_id = state.start_run(con, sync_name, destination, False)
                state.record_audience(con, run_id, model, target, int(size * share))
                counts = dict.fromkeys(
                    ("added", "updated", "removed", "failed", "write_requests"), 0
                )
                counts |= {"skipped_no_consent": 0, "skipped_suppressed": 0}
                state.finish_run(con, run_id, {**counts, "status": "success", "message": None}, {})
                con.execute(
                    "update activation.sync_runs set started_at = ?, finished_at = ? "
                    "where run_id = ?",
                    [started - timedelta(days=days), started - timedelta(days=days), run_id],
                )


@pytest.fixture(scope="module")
def report_with_history(pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session pipeline's report, re-written after two more days of sync history."""
    folder = tmp_path_factory.mktemp("screenshot")
    db = folder / "warehouse.duckdb"
    shutil.copy(pipeline.db_path, db)
    _add_history(db)
    return write_report(db, folder / "report.html").path


def _keep(png: Path) -> None:
    target = os.environ.get("REPORT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(target) / png.name)


@needs_browser
@pytest.mark.xdist_group("report")
@pytest.mark.parametrize("width", WIDTHS)
def test_report_renders_without_layout_problems(
    report_with_history: Path, tmp_path: Path, width: int
) -> None:
    layout = shots.check_layout(report_with_history, width)
    png = shots.screenshot(
        report_with_history, tmp_path / f"report_{width}px.png", width, layout["height"]
    )
    _keep(png)
    assert png.stat().st_size > 100_000  # a whole page of charts, not a blank one
    assert layout["height"] > 4_000
    assert layout["problems"] == []


@needs_browser
def test_layout_check_finds_each_kind_of_problem(tmp_path: Path) -> None:
    """The checker itself: a page with every problem the issue listed is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        """<!DOCTYPE html><html><body>
<header><h1>Report</h1><p>Warehouse /tmp/x/warehouse.duckdb</p></header>
<main style="width:600px">
<section id="s1" style="width:600px"><p>customers per rfm_segment, see `retention sync`</p>
<div class="table-wrap"><table style="width:900px"><tr><td>wide</td></tr></table></div>
<table style="width:200px"><tr><td style="max-width:60px;overflow:hidden;white-space:nowrap">
Abandoned cart reminder</td></tr></table>
<div class="figure" style="width:800px"><svg class="main-svg" width="800" height="120">
<text x="5" y="20" style="font-size:6px">tiny</text>
<g class="ytick"><text x="5" y="60">401</text></g><g class="ytick"><text x="5" y="80">601</text></g>
<g class="ytick"><text x="5" y="100">1,002</text></g>
<g class="y2tick"><text x="300" y="40">10</text></g>
<g class="y2tick"><text x="300" y="42">20</text></g>
<text x="700" y="110">Helpdesk detractor follow up</text></svg></div>
</section></main></body></html>""",
        encoding="utf-8",
    )
    kinds = {p["check"] for p in shots.check_layout(page, 1280)["problems"]}
    assert kinds == {
        "snake_case",
        "backtick",
        "path-in-header",
        "overflow",
        "table-scrolls",
        "tiny-text",
        "odd-ticks",
        "clipped-label",
        "overlapping-labels",
    }


@needs_browser
def test_layout_check_finds_only_clipped_labels_and_sideways_tables_on_a_phone(
    tmp_path: Path,
) -> None:
    """At 420 px a chart label cut by the chart's edge and a table wider than its card are
    problems (the issue: labels clipped while the check passed); a fitting page has none."""
    page = tmp_path / "phone.html"
    row = "".join(f"<td>column {i} value</td>" for i in range(8))
    page.write_text(
        f"""<!DOCTYPE html><html><body><main><section id="s1">
<div class="table-wrap" style="overflow-x:auto"><table><tr>{row}</tr></table></div>
<div class="figure"><svg class="main-svg" width="300" height="60">
<g class="ytick"><text x="250" y="30">Abandoned cart reminder · WhatsApp</text></g></svg></div>
</section></main></body></html>""",
        encoding="utf-8",
    )
    problems = shots.check_layout(page, 420)["problems"]
    assert {p["check"] for p in problems} == {"table-scrolls", "clipped-label"}
    (clipped,) = [p for p in problems if p["check"] == "clipped-label"]
    assert "Abandoned cart reminder" in clipped["detail"]


@needs_browser
def test_a_report_before_any_build_explains_itself_without_layout_problems(
    tmp_path: Path,
) -> None:
    """Empty sections say why in words; table names there are quoted as code, not prose."""
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_rfm "
            "(customer_id varchar, rfm_segment varchar, monetary double, recency_days int)"
        )
    report = write_report(db, tmp_path / "report.html")
    assert set(report.sections_missing) >= {"rfm", "lift"}
    assert shots.check_layout(report.path, 420)["problems"] == []
