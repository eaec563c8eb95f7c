"""Screenshot the HTML report in headless Chromium and check its layout, as a reader sees it.

Usage: .venv/bin/python scripts/screenshot_report.py [REPORT_HTML] [--output PNG] [--width W]
       [--height H] [--check]      (the height defaults to the whole page)

Needs a headless Chromium: on Debian `apt-get install -y --no-install-recommends
chromium-headless-shell fonts-dejavu-core` (or the full `chromium` package); set
RETENTION_CHROMIUM to use another binary. The page is loaded from disk with networking off, so
the screenshot also proves the report works offline. `--check` also prints every layout problem
found by `report_layout_check.js` (overflowing cards, raw snake_case labels, backticks, tiny
chart text, odd axis ticks, paths in the header) and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_REPORT = Path("reports/retention_report.html")
CHECKER = Path(__file__).with_name("report_layout_check.js")
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = (
    "apt-get install -y --no-install-recommends chromium-headless-shell fonts-dejavu-core"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",  # any network request would fail: the page must not need one
    "--virtual-time-budget=30000",  # let plotly draw every figure before the shot
)
_RESULT = re.compile(r'<pre id="layout-check">(.*?)</pre>', re.S)


class BrowserError(RuntimeError):
    """Chromium is missing or did not render the page."""


def find_browser() -> str | None:
    """Path of a headless Chromium (RETENTION_CHROMIUM first), or None."""
    configured = os.environ.get("RETENTION_CHROMIUM")
    if configured:
        return shutil.which(configured)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], width: int, height: int) -> str:
    browser = find_browser()
    if browser is None:
        raise BrowserError(f"no headless Chromium found: install it with `{INSTALL_HINT}`")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    if done.returncode != 0:
        raise BrowserError(f"{browser} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def screenshot(report: Path, output: Path, width: int = 1280, height: int = 12000) -> Path:
    """Render `report` at width x height CSS pixels into the PNG `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--screenshot={output.resolve()}", report.resolve().as_uri()], width, height)
    if not output.is_file() or output.stat().st_size < 10_000:
        raise BrowserError(f"no usable screenshot at {output}")
    return output


def check_layout(report: Path, width: int = 1280, height: int = 1200) -> dict:
    """Render `report` `width` pixels wide and run `report_layout_check.js` in it.

    Returns `{"width", "height" (of the whole page), "problems"}`; each problem is a dict with
    `check`, `where` (section) and `detail`. The check runs on a copy of the report with the
    checker appended; the original file is not changed.
    """
    page = report.read_text(encoding="utf-8")
    script = f"<script>{CHECKER.read_text(encoding='utf-8')}</script>"
    checked = page.replace("</body>", script + "</body>") if "</body>" in page else page + script
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / report.name
        copy.write_text(checked, encoding="utf-8")
        dom = _run(["--dump-dom", copy.as_uri()], width, height)
    found = _RESULT.findall(dom)
    if not found:
        raise BrowserError(f"the layout check did not run in {report} (no #layout-check)")
    return json.loads(html.unescape(found[-1]))


def main() -> None:
    """Parse arguments, take the screenshot and (with --check) report layout problems."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--output", type=Path, default=Path("reports/retention_report.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, help="default: the whole page")
    parser.add_argument("--check", action="store_true", help="also list layout problems")
    args = parser.parse_args()
    if not args.report.is_file():
        sys.exit(f"no report at {args.report}: run `retention report` first")
    try:
        layout = check_layout(args.report, args.width)
        height = args.height or layout["height"]
        print(screenshot(args.report, args.output, args.width, height))
    except BrowserError as exc:
        sys.exit(str(exc))
    problems = layout["problems"] if args.check else []
    for problem in problems:
        print(f"{problem['where']}: {problem['check']}: {problem['detail']}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
