"""Materialize the whole graph on a small sample store, then prove the safety properties.

The session's demo build (`pipeline` in tests/conftest.py: ingest -> dbt -> ML -> audiences ->
syncs to the local emulators, through Dagster) is shared with the report tests; each test that
changes the warehouse works on its own copy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.pipeline import dagster_instance, run_config

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]


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


def test_full_graph_builds_scores_and_syncs_to_emulators(pipeline, defs, monkeypatch) -> None:
    customers = pipeline.summary.customers
    graph = defs.resolve_asset_graph()
    monkeypatch.setenv("DAGSTER_HOME", str(pipeline.db_path.parent / "dagster_home"))
    with dg.DagsterInstance.get() as instance:

        def metadata(*path: str) -> dict:
            event = instance.get_latest_materialization_event(dg.AssetKey(list(path)))
            assert event is not None, path
            return {k: v.value for k, v in event.asset_materialization.metadata.items()}

        for layer in ("raw", "staging", "marts", "ml", "audiences", "activation"):
            keys = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == layer]
            assert any(instance.get_latest_materialization_event(k) for k in keys), layer
        assert metadata("raw", "orders")["dagster/row_count"] > customers
        assert metadata("marts", "dim_customers")["dagster/row_count"] >= customers * 0.9
        assert any(k.startswith("metric/") for k in metadata("ml", "churn_model_runs"))
    assert pipeline.summary.failed_syncs == []
    with duckdb.connect(str(pipeline.db_path), read_only=True) as con:
        statuses = dict(
            con.execute(
                "select status, count(*) from activation.sync_runs group by status"
            ).fetchall()
        )
        added = con.execute("select sum(added) from activation.sync_runs").fetchone()[0]
    assert statuses and "failed" not in statuses and added > 0


def _copy(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "w.duckdb"
    shutil.copy(db, target)
    return target


def test_failing_blocking_check_stops_the_sync(pipeline, emulators, tmp_path, defs) -> None:
    from activation.config import load_syncs
    from retention.core.settings import DBT_PROJECT_DIR, prepare_environment

    db = _copy(pipeline.db_path, tmp_path)
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


def test_builds_are_recorded_and_retention_sync_refuses_a_future_as_of(
    pipeline, emulators, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from retention.cli import main as cli

    db = _copy(pipeline.db_path, tmp_path)
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
