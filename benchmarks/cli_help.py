"""Time `retention --help` and each command's `--help`: the first thing a data team runs.

Each command runs `--runs` times in a fresh process; printed per command: the median and best
wall-clock seconds. `--retention` times another checkout's console script (e.g. main's, for a
before/after comparison).

Usage: .venv/bin/python benchmarks/cli_help.py [--runs 5] [--retention PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = ["", "build", "run", "demo", "ingest", "sync", "report", "dev"]


def seconds(retention: str, command: str) -> float:
    """Wall-clock seconds of one `retention [command] --help`."""
    start = time.perf_counter()
    subprocess.run(
        [retention, *command.split(), "--help"], check=True, capture_output=True, timeout=120
    )
    return time.perf_counter() - start


def main() -> None:
    """Print median and best seconds of `--help` per command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--retention", default=str(Path(sys.executable).parent / "retention"))
    args = parser.parse_args()
    print(f"{'command':<12} {'median s':>9} {'best s':>7}  ({args.retention})")
    for command in COMMANDS:
        times = [seconds(args.retention, command) for _ in range(args.runs)]
        label = command or "(root)"
        print(f"{label:<12} {statistics.median(times):>9.2f} {min(times):>7.2f}")


if __name__ == "__main__":
    main()
