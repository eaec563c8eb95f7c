"""The kill -9 soak (benchmarks/soak_kill9.py) in small: 2 cycles per destination type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "soak_kill9.py"


@pytest.mark.slow
@pytest.mark.xdist_group("soak_kill9")
def test_kill_9_soak_has_no_duplicates_missing_or_resubscribes():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--cycles", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert set(results) == {"klaviyo", "twilio", "whatsapp"}
    for name, totals in results.items():
        assert totals["cycles"] == 2, name
        found = {k: totals[k] for k in ("duplicates", "missing", "resubscribes", "rerun_writes")}
        assert found == dict.fromkeys(found, 0), (name, totals)
        assert totals["held_back_delivered"] <= totals["held_back"], (name, totals)
        assert totals["notes"] == [], (name, totals)
    assert sum(t["killed"] for t in results.values()) >= 6
    assert sum(t["interrupted_marked"] for t in results.values()) >= 3
