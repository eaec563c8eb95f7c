"""Pure helpers of the orchestration layer: translator, size change, sensor, schedule guard."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from ml.config import ChurnConfig
from orchestration.defs.activation.checks import size_change
from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.dbt.translator import RetentionDbtTranslator
from orchestration.defs.ingest.sensors import raw_drop_sensor
from orchestration.defs.metadata import metric_metadata
from orchestration.defs.schedule_guard import skip_if_running
from orchestration.pipeline import validate_as_of
from retention.core.errors import InputError


def test_translator_keys_are_schema_and_relation() -> None:
    translator = RetentionDbtTranslator()
    source = {"resource_type": "source", "schema": "raw", "name": "orders", "identifier": "orders"}
    model = {
        "resource_type": "model",
        "schema": "marts",
        "name": "dim_customers",
        "alias": "dim_customers",
        "meta": {},
        "config": {},
    }
    assert translator.get_asset_key(source) == dg.AssetKey(["raw", "orders"])
    assert translator.get_asset_key({**model, "alias": "customers"}) == dg.AssetKey(
        ["marts", "customers"]
    )
    assert translator.get_group_name(model) == "marts"
    grouped = {**model, "meta": {"dagster": {"group": "core"}}}
    assert translator.get_group_name(grouped) == "core"


def test_size_change() -> None:
    assert size_change(100, 150) == 0.5
    assert size_change(100, 40) == 0.6
    assert size_change(0, 0) == 0.0
    assert size_change(0, 5) == 1.0


def test_build_options_and_as_of_validation() -> None:
    db = Path("/data/w.duckdb")
    horizon = ChurnConfig().horizon_days
    args = BuildOptions().dbt_args(db)
    assert args[:3] == ["--target", "duckdb", "--vars"]
    assert json.loads(args[-1]) == {"duckdb_path": str(db), "churn_horizon_days": horizon}
    assert "--full-refresh" not in args  # incremental models build incrementally
    past = BuildOptions(as_of_date="2024-03-01").dbt_args(db)
    assert "--full-refresh" in past  # a set as-of rebuilds them from scratch
    assert json.loads(past[-1]) == {
        "duckdb_path": str(db),
        "churn_horizon_days": horizon,
        "as_of_date": "2024-03-01",
    }
    with pytest.raises(ValueError):
        BuildOptions(as_of_date="2024-13-01")
    project_yml = Path(__file__).parents[2] / "dbt_project" / "dbt_project.yml"
    project = yaml.safe_load(project_yml.read_text())
    assert project["vars"]["churn_horizon_days"] == horizon  # plain `dbt build` agrees with ML
    assert validate_as_of("2024-03-01") == "2024-03-01"
    with pytest.raises(InputError, match="--as-of '03/01/2024' is not a date"):
        validate_as_of("03/01/2024")


def test_metric_metadata_numbers_and_json() -> None:
    meta = metric_metadata({"auc": 0.81, "n": 3, "baselines": {"rfm": 0.7}, "ok": True})
    assert meta["metric/auc"] == 0.81 and meta["metric/n"] == 3.0
    assert isinstance(meta["metric/baselines"], dg.JsonMetadataValue)
    assert meta["metric/ok"] is True


def test_drop_sensor_requests_one_run_per_new_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_DROP_DIR", str(tmp_path))
    old = time.time() - 60
    (tmp_path / "orders.csv").write_text("order_id\n1\n")
    (tmp_path / ".hidden.csv").write_text("x\n")
    os.utime(tmp_path / "orders.csv", (old, old))
    instance = dg.DagsterInstance.ephemeral()
    first = raw_drop_sensor(dg.build_sensor_context(instance=instance))
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.run_config["ops"]["ingest_raw"]["config"]["path"] == str(tmp_path)
    again = raw_drop_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert isinstance(again, dg.SkipReason)
    (tmp_path / "customers.csv").write_text("customer_id\n1\n")
    fresh = raw_drop_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert isinstance(fresh, dg.SkipReason), "files still being written are left for the next tick"
    os.utime(tmp_path / "customers.csv", (old + 30, old + 30))
    later = raw_drop_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert later.run_requests[0].tags["retention/new_files"] == "customers.csv"


def test_schedule_skips_while_the_job_runs() -> None:
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance)
        assert isinstance(next(skip_if_running(context, "full_refresh")), dg.RunRequest)
        run = dg.DagsterRun(job_name="full_refresh", status=dg.DagsterRunStatus.STARTED)
        instance.add_run(run)
        assert isinstance(next(skip_if_running(context, "full_refresh")), dg.SkipReason)
        assert isinstance(next(skip_if_running(context, "build")), dg.RunRequest)


def test_cli_bad_date_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from retention.cli.main import main; main()",
            "build",
            "--as-of",
            "2024-02-30",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: --as-of '2024-02-30' is not a date; use YYYY-MM-DD, e.g. 2024-06-30"
    )


def test_cli_model_minimums_are_checked_and_become_resource_config(defs) -> None:
    from orchestration.pipeline import BUILD_JOB, run_config
    from retention.cli.pipeline import model_minimums

    with pytest.raises(InputError, match="--min-history-days -5: input should be greater"):
        model_minimums(None, None, -5)
    given = model_minimums(200, None, 90)
    assert given == {"min_buyers": 200, "min_history_days": 90}
    with dg.instance_for_test():
        job = defs.resolve_job_def(BUILD_JOB)
    config = run_config(job, as_of=None, target="duckdb", raw=None, fmt="", dry_run=True)
    config["resources"]["model_minimums"] = {"config": given}
    resolved = dg.validate_run_config(job, config)["resources"]["model_minimums"]["config"]
    assert resolved == {"min_buyers": 200, "min_repeat_buyers": 50, "min_history_days": 90}
