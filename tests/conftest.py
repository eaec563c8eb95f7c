"""Suite-wide settings: no telemetry, no network beyond 127.0.0.1, dbt from this venv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` (read-only design, vendor specs and public data); skip if absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: shared design files are needed for this test")
    return SHARED
