"""A step that fails on a user's mistake shows the one-line error, with no traceback chain."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from activation.config import load_syncs
from orchestration.defs.activation.assets import SyncRunConfig
from orchestration.defs.activation.runner import run_sync_assets
from orchestration.defs.ingest.assets import raw_tables
from orchestration.defs.warehouse_resource import WarehouseResource
from orchestration.pipeline import PipelineResult, raise_user_error
from retention.core.errors import InputError, UserError
from retention.core.settings import DBT_PROJECT_DIR


def _only_failure(result: dg.ExecuteInProcessResult) -> dg.DagsterEvent:
    (event,) = result.get_step_failure_events()
    return event


def test_bad_ingest_path_fails_with_its_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_folder"
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [raw_tables],
            instance=instance,
            resources={"warehouse": WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb"))},
            run_config={"ops": {"ingest_raw": {"config": {"path": str(missing)}}}},
            raise_on_error=False,
        )
    failure = _only_failure(result).step_failure_data
    assert failure.user_failure_data is not None
    line = failure.user_failure_data.description
    assert str(missing) in line and "\n" not in line
    assert failure.error.cause is None  # no "The above exception was caused by" chain
    with pytest.raises(InputError) as raised:
        raise_user_error(result)
    assert str(raised.value) == line


@pytest.mark.slow
@pytest.mark.xdist_group("report")
def test_sync_without_api_key_fails_with_its_one_line(pipeline, tmp_path, monkeypatch) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(pipeline.db_path, db)
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    sync = next(s for s in load_syncs(DBT_PROJECT_DIR) if s.name == "vip_early_access_klaviyo")
    with dg.instance_for_test() as instance:
        _, result = run_sync_assets([sync], db_path=db, instance=instance, config=SyncRunConfig())
    failure = _only_failure(result).step_failure_data
    line = failure.user_failure_data.description
    assert "KLAVIYO_API_KEY" in line and "vip_early_access_klaviyo" in line and "\n" not in line
    assert failure.error.cause is None
    with pytest.raises(UserError, match="KLAVIYO_API_KEY"):
        raise_user_error(result)


def test_warnings_are_counted_apart_from_failures(tmp_path: Path) -> None:
    from orchestration.pipeline import CheckFailure

    summary = PipelineResult("build", "r1", True, tmp_path, tmp_path, passed_checks=497)
    summary.failed_checks = [CheckFailure("audiences/aud_x", "size_change", "WARN", "")] * 22
    assert summary.checks_line() == "checks: 497 passed, 0 failed, 22 warnings"
    summary.failed_checks.append(CheckFailure("marts/dim_customers", "not_null", "ERROR", ""))
    assert summary.checks_line() == "checks: 497 passed, 1 failed, 22 warnings"
    assert [c.check for c in summary.check_errors()] == ["not_null"]
