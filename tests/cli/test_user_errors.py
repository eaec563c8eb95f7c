"""Every error a user can cause prints one clear line (no traceback unless --debug)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from activation.config import load_syncs
from cli.cli_run import assert_error_after_wait_notice, assert_one_line_error, run_cli
from retention.core.errors import UserError
from retention.core.settings import DBT_PROJECT_DIR
from retention.ingest import ingest_path
from retention.sample_store import generate_store


@pytest.fixture
def warehouse(tmp_path: Path) -> dict[str, str]:
    """Env pointing the CLI at a fresh temp warehouse path (file not created)."""
    return {"RETENTION_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}


@pytest.fixture
def locked_warehouse(tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    """A warehouse file another process holds open for writing; yields (env, holder pid)."""
    path = tmp_path / "locked.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(120)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield {"RETENTION_DUCKDB_PATH": str(path)}, holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_missing_input_file(warehouse, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "orders.csv"
    assert_one_line_error(run_cli("ingest", str(missing), env=warehouse), 2, str(missing))


def test_unknown_format(warehouse, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_id,customer_id\n1,2\n")
    done = run_cli("ingest", str(tmp_path / "orders.csv"), "--format", "excel", env=warehouse)
    assert_one_line_error(done, 2, "excel", "canonical")


def test_wrong_header_names_expected_columns(warehouse, tmp_path: Path) -> None:
    bad = tmp_path / "orders.csv"
    bad.write_text("id;when;amount\n1;2024-01-01;10\n")
    line = assert_one_line_error(run_cli("ingest", str(bad), env=warehouse), 2, "orders.csv")
    assert "order_id" in line


def test_report_without_warehouse(warehouse) -> None:
    assert_one_line_error(run_cli("report", env=warehouse), 1, "no warehouse at", "retention demo")


def test_debug_shows_the_traceback(warehouse) -> None:
    done = run_cli("--debug", "report", env=warehouse)
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "WarehouseMissingError" in done.stderr


def test_report_on_locked_warehouse(locked_warehouse) -> None:
    env, pid = locked_warehouse
    assert_one_line_error(run_cli("report", env=env), 1, "locked by process", str(pid), "wait")


def test_sync_on_locked_warehouse(locked_warehouse) -> None:
    env, pid = locked_warehouse
    done = run_cli("sync", "--dry-run", env=env)
    assert_error_after_wait_notice(done, 1, "locked by process", str(pid))


def test_ingest_on_locked_warehouse(locked_warehouse, tmp_path: Path) -> None:
    env, pid = locked_warehouse
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,status,currency,subtotal,discount_amount,"
        "shipping_amount,total,discount_code,shipped_at,delivered_at\n"
        "o1,c1,2024-01-01 10:00:00,delivered,EUR,10,0,0,10,,,\n"
    )
    assert_one_line_error(run_cli("ingest", str(orders), env=env), 1, str(pid))


def test_unknown_sync_name(warehouse) -> None:
    done = run_cli("sync", "no_such_sync", env=warehouse)
    assert_one_line_error(done, 2, "no_such_sync", "retention syncs")


def test_invalid_sync_config_names_file_sync_and_field(tmp_path: Path) -> None:
    audiences = tmp_path / "models" / "audiences"
    shutil.copytree(DBT_PROJECT_DIR / "models" / "audiences", audiences)
    declaration = audiences / "aud_vip_early_access.yml"
    text = declaration.read_text()
    assert "destination: klaviyo" in text
    declaration.write_text(text.replace("destination: klaviyo", "destination: myspace", 1))
    with pytest.raises(UserError) as caught:
        load_syncs(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in ("aud_vip_early_access.yml", "vip_early_access_klaviyo", "destination"):
        assert fragment in message


def test_build_before_the_first_order(tmp_path: Path) -> None:
    store, db = tmp_path / "store", tmp_path / "warehouse.duckdb"
    generate_store(store, customers=200, seed=3)
    ingest_path(store, db_path=db)
    env = {
        "RETENTION_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "RETENTION_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }
    done = run_cli("build", "--as-of", "1990-01-01", env=env)
    assert_one_line_error(done, 1, "1990-01-01", "no orders before")


def test_build_on_locked_warehouse(locked_warehouse) -> None:
    env, pid = locked_warehouse
    done = run_cli("build", env=env)
    assert_error_after_wait_notice(done, 1, "locked by process", str(pid))
