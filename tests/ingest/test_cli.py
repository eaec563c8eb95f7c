"""`retention sample` / `retention ingest` through the console script (subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RETENTION = str(Path(sys.executable).parent / "retention")


def _run(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db)}
    return subprocess.run([RETENTION, *args], capture_output=True, text=True, env=env, timeout=120)


def test_user_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    (tmp_path / "orders.csv").write_text("id,when\n1,2024-01-01\n")
    cases = [
        (["ingest", str(tmp_path / "missing")], "missing: no such file or folder"),
        (["ingest", str(tmp_path), "--format", "xml"], "unknown format 'xml'"),
        (["ingest", str(tmp_path / "orders.csv")], "expected columns: order_id, customer_id"),
    ]
    for args, expected in cases:
        result = _run(args, db)
        assert result.returncode == 2, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
        assert "Traceback" not in result.stderr + result.stdout


def test_typer_usage_errors_have_no_traceback(tmp_path: Path) -> None:
    result = _run(["ingest", "--bogus"], tmp_path / "w.duckdb")
    assert result.returncode == 2
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_sample_then_ingest(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    made = _run(["sample", "--customers", "300", "--seed", "7", str(tmp_path / "store")], db)
    assert made.returncode == 0, made.stderr
    assert "orders.csv" in made.stdout
    loaded = _run(["ingest", str(tmp_path / "store")], db)
    assert loaded.returncode == 0, loaded.stderr
    assert "shipment_events" in loaded.stdout and "quarantined" in loaded.stdout
