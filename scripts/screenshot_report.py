"""Screenshot the HTML report in headless Chromium, as a person would see it.

Usage: .venv/bin/python scripts/screenshot_report.py [REPORT_HTML] [--output PNG]

Needs the Debian package `chromium` (`apt-get install -y chromium`); not used in CI. The page
is loaded from disk with networking off, so the screenshot also proves the report is offline.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_REPORT = Path("reports/retention_report.html")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",  # any network request would fail: the page must not need one
    "--virtual-time-budget=20000",  # let plotly draw every figure before the shot
)


def chromium() -> str:
    """Path of the Chromium binary, or exit with how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("chromium not found: install it with `apt-get install -y chromium`")


def screenshot(report: Path, output: Path, width: int, height: int) -> Path:
    """Render `report` at width x height CSS pixels into the PNG `output`."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={output.resolve()}",
                report.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    if not output.is_file() or output.stat().st_size < 10_000:
        sys.exit(f"no usable screenshot at {output}")
    return output


def main() -> None:
    """Parse arguments and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--output", type=Path, default=Path("reports/retention_report.png"))
    parser.add_argument("--width", type=int, default=1300)
    parser.add_argument("--height", type=int, default=7000)
    args = parser.parse_args()
    if not args.report.is_file():
        sys.exit(f"no report at {args.report}: run `retention report` first")
    print(screenshot(args.report, args.output, args.width, args.height))


if __name__ == "__main__":
    main()
