"""The triggered fast path: what it selects, when its sensor fires, the as-of it refuses, and
one end-to-end run (a new order file -> its confirmation reaches the Sendlane emulator)."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterator

import dagster as dg
import duckdb
import pytest

from activation import build_gate
from orchestration.defs.ingest.assets import raw_key
from orchestration.defs.triggered.as_of import pinned_as_of, refuse_pinned
from orchestration.defs.triggered.definitions import raw_landed_sensor, run_key, synced_by
from orchestration.defs.triggered.selection import fast_path_selection
from retention.core.errors import UserError


def _keys(defs: dg.Definitions, selection: dg.AssetSelection) -> set[str]:
    return {k.to_user_string() for k in selection.resolve(defs.resolve_asset_graph())}


def test_fast_path_selects_triggered_audiences_their_marts_and_syncs_only(defs) -> None:
    keys = _keys(defs, fast_path_selection())
    assert {
        "audiences/aud_abandoned_cart",
        "audiences/aud_order_confirmation",
        "marts/fct_orders",
        "marts/as_of_date",
        "staging/stg_shop__events",
        "staging/stg_shop__customers",
        "activation/abandoned_cart_klaviyo",
        "activation/order_confirmation_sendlane",
    } <= keys
    assert not {k for k in keys if k.startswith(("raw/", "ml/"))}
    assert "audiences/aud_predicted_churners" not in keys
    assert "activation/vip_early_access_klaviyo" not in keys
    assert "raw/orders" in _keys(defs, fast_path_selection(with_raw=True))


def test_run_key_names_the_newest_materialization() -> None:
    assert run_key([]) is None
    assert run_key([3, 11, 7]) == "raw-11"


def test_raw_from_a_run_that_synced_itself_needs_no_fast_run() -> None:
    from dagster._core.test_utils import create_run_for_test

    with dg.instance_for_test() as instance:
        jobs = ("ingest_and_trigger", "full_pipeline", "ingest_and_build")
        runs = {job: create_run_for_test(instance, job_name=job).run_id for job in jobs}
        assert synced_by(instance, runs["ingest_and_trigger"])
        assert synced_by(instance, runs["full_pipeline"])
        assert not synced_by(instance, runs["ingest_and_build"])
        assert not synced_by(instance, "")


def test_sensor_requests_one_run_per_new_raw_materialization(defs) -> None:
    with dg.instance_for_test() as instance:

        def evaluate(cursor: str | None):
            context = dg.build_multi_asset_sensor_context(
                monitored_assets=[raw_key("orders"), raw_key("events")],
                instance=instance,
                definitions=defs,
                cursor=cursor,
            )
            return raw_landed_sensor(context), context.cursor

        result, cursor = evaluate(None)
        assert isinstance(result, dg.SkipReason)
        instance.report_runless_asset_event(dg.AssetMaterialization(raw_key("orders")))
        result, cursor = evaluate(cursor)
        assert isinstance(result, dg.RunRequest) and result.run_key.startswith("raw-")
        result, cursor = evaluate(cursor)
        assert isinstance(result, dg.SkipReason)


def test_a_pinned_full_build_refuses_the_fast_path(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert pinned_as_of(con) is None
        build_gate.finish_build(con, build_gate.start_build(con, "build", "2026-01-01"), True, [])
        build_gate.finish_build(
            con, build_gate.start_build(con, "triggered_refresh", None), True, []
        )
        assert pinned_as_of(con) == "2026-01-01"
        with pytest.raises(UserError, match="--as-of 2026-01-01"):
            refuse_pinned(con)
        build_gate.finish_build(con, build_gate.start_build(con, "build", None), True, [])
        assert pinned_as_of(con) is None


@pytest.fixture
def emulators() -> Iterator:
    from activation.emulators import running_emulators
    from orchestration.demo import approve_whatsapp_templates

    saved = dict(os.environ)
    with running_emulators(rate_scale=1000) as running:
        os.environ.update(running.env)
        approve_whatsapp_templates(running)
        yield running
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.slow
@pytest.mark.xdist_group("report")
def test_a_new_order_file_reaches_the_emulator_through_retention_trigger(
    pipeline, emulators, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from retention.cli import main as cli

    db = tmp_path / "w.duckdb"
    shutil.copy(pipeline.db_path, db)
    with duckdb.connect(str(db), read_only=True) as con:
        customer_id, email = con.execute(
            "select customer_id, email from marts.dim_customers "
            "where email_consent = 'subscribed' and is_email_valid and email in "
            "(select email from marts.dim_customers group by 1 having count(*) = 1) "
            "and customer_id not in (select customer_id from audiences.aud_order_confirmation) "
            "order by 1 limit 1"
        ).fetchone()
    drop = tmp_path / "orders_2026-10-31-late.csv"
    columns = ["order_id", "customer_id", "ordered_at", "status", "currency", "subtotal"]
    columns += ["discount_amount", "shipping_amount", "total"]
    with drop.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerow(
            ["OTRIG-1", customer_id, "2026-10-31 12:00:00", "placed", "USD", "20.00"]
            + ["0.00", "4.95", "24.95"]
        )
    monkeypatch.setenv("RETENTION_DUCKDB_PATH", str(db))
    if not cli.app.registered_commands:
        cli._register()
    done = CliRunner().invoke(cli.app, ["trigger", "--raw", str(drop)])
    assert done.exit_code == 0, done.output
    sent = [
        r
        for r in emulators.sendlane.requests
        if r.is_write and r.status < 300 and email in str(r.raw)
    ]
    assert sent, f"{email} never reached the Sendlane emulator"
    with duckdb.connect(str(db), read_only=True) as con:
        builds = "select job from activation.build_runs order by started_at"
        jobs = [job for (job,) in con.execute(builds).fetchall()]
        added = con.execute(
            "select added from activation.sync_runs "
            "where sync_name = 'order_confirmation_sendlane' order by started_at desc limit 1"
        ).fetchone()[0]
    assert jobs[-1] == "ingest_and_trigger" and added >= 1
