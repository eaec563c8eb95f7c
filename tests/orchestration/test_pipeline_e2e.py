"""Materialize the whole graph on a small sample store, then prove the safety properties.

One session build (ingest -> dbt -> ML -> audiences -> syncs to the local emulators) is shared by
the tests in this group; each later test works on its own copy of the warehouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.pipeline import PipelineResult, dagster_instance, run_config, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration_e2e")]

CUSTOMERS = 1000


@pytest.fixture(scope="module")
def emulators() -> Iterator:
    from activation.config import load_syncs
    from activation.emulators import running_emulators
    from retention.core.settings import DBT_PROJECT_DIR

    saved = dict(os.environ)
    with running_emulators(rate_scale=1000) as running:
        os.environ.update(running.env)
        for sync in load_syncs(DBT_PROJECT_DIR):  # templates approved, as in `retention demo`
            if sync.destination == "whatsapp":
                running.whatsapp.approve_template(sync.target)
        yield running
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, emulators) -> tuple[PipelineResult, Path]:
    from retention.sample_store import generate_store

    root = tmp_path_factory.mktemp("pipeline")
    generate_store(root / "drop", customers=CUSTOMERS, seed=11)
    result = run_pipeline("full_pipeline", raw=root / "drop", db_path=root / "w.duckdb")
    return result, root / "w.duckdb"


def test_full_graph_builds_scores_and_syncs_to_emulators(built, emulators) -> None:
    result, db = built
    assert result.success, result.failed_steps
    groups = result.groups()
    for layer in ("raw", "staging", "marts", "ml", "audiences", "activation"):
        assert groups.get(layer), f"nothing materialized in {layer}: {groups}"
    assert result.materialized["raw/orders"]["dagster/row_count"] > CUSTOMERS
    assert result.materialized["marts/dim_customers"]["dagster/row_count"] >= CUSTOMERS * 0.9
    assert "metric/auc" in result.materialized["ml/churn_model_runs"] or any(
        k.startswith("metric/") for k in result.materialized["ml/churn_model_runs"]
    )
    syncs = result.syncs()
    assert syncs and all(meta["status"] != "failed" for meta in syncs.values())
    assert sum(meta["added"] for meta in syncs.values()) > 0
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("select count(*) from activation.sync_runs").fetchone()[0]
    assert runs >= len(syncs)


def _copy(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "w.duckdb"
    shutil.copy(db, target)
    return target


def test_failing_blocking_check_stops_the_sync(built, emulators, tmp_path, defs) -> None:
    from activation.config import load_syncs
    from retention.core.settings import DBT_PROJECT_DIR, prepare_environment

    _, db = built
    db = _copy(db, tmp_path)
    sync = next(s for s in load_syncs(DBT_PROJECT_DIR) if s.primary_key == "customer_id")
    audience = dg.AssetKey(["audiences", sync.model])
    sync_asset = dg.AssetKey(["activation", sync.name])
    with duckdb.connect(str(db)) as con:
        before = con.execute(
            "select count(*) from activation.sync_runs where sync_name = ?", [sync.name]
        ).fetchone()[0]
        # a member duplicated upstream: the audience's unique(customer_id) test must fail
        con.execute(
            f"insert into marts.dim_customers select * from marts.dim_customers "
            f"where customer_id in (select customer_id from audiences.{sync.model} limit 1)"
        )
    prepare_environment(db)
    job = defs.resolve_job_def("full_refresh")
    result = job.execute_in_process(
        run_config=run_config(job, as_of=None, target="duckdb", raw=None, fmt="", dry_run=False),
        instance=dagster_instance(),
        asset_selection=[audience, sync_asset],
        raise_on_error=False,
    )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert any(
        e.asset_key == audience and e.severity == dg.AssetCheckSeverity.ERROR for e in failed
    )
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert sync_asset not in materialized
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute(
            "select count(*) from activation.sync_runs where sync_name = ?", [sync.name]
        ).fetchone()[0]
    assert after == before


def test_two_builds_at_once_wait_for_each_other(built, tmp_path) -> None:
    _, db = built
    db = _copy(db, tmp_path)
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db), "DAGSTER_HOME": str(tmp_path)}
    cmd = [sys.executable, "-c", "from retention.cli.main import main; main()", "build"]
    procs = [
        subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
        assert "build succeeded" in out
    assert any("waiting for warehouse" in out for out in outputs)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] > 0


def test_builds_are_recorded_and_retention_sync_refuses_a_future_as_of(
    built, emulators, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from retention.cli import main as cli

    _, db = built
    db = _copy(db, tmp_path)
    with duckdb.connect(str(db)) as con:
        builds = con.execute("select job, status from activation.build_runs").fetchall()
        assert builds == [("full_pipeline", "success")]
        con.execute("update marts.as_of_date set as_of_date = current_date + 30")
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(db))
    monkeypatch.setenv("COLUMNS", "250")
    if not cli.app.registered_commands:
        cli._register()
    done = CliRunner().invoke(cli.app, ["sync", "vip_early_access_klaviyo"])
    assert done.exit_code == 1, done.output
    assert "a future date" in done.output and "blocked" in done.output
