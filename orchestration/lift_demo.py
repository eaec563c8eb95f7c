"""The demo's lift step: `marts.rpt_audience_lift` refreshed after the syncs.

The build runs before the syncs, so the lift mart it made does not hold the assignments the
syncs just recorded; this rebuilds that one model. With `--simulate-lift` it instead simulates
the month after the syncs (known effect for win-back, none for VIP; see
`retention.sample_store.lift_effects`), ingests those orders with the store's own, and
rebuilds the graph as of the day every member's 30-day window has ended, so the report's lift
section shows what the mart estimates against the truth.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from retention.core import lock as warehouse_lock
from retention.core import settings
from retention.core.errors import UserError

LIFT_MODEL = "rpt_audience_lift"


def refresh_lift_mart(db_path: Path, on_wait: Callable[[str], None] | None = None) -> None:
    """`dbt build --select rpt_audience_lift` on the warehouse (dbt output to logs/)."""
    from orchestration.defs.dbt.project import load_dbt_project, prepare_dbt_project
    from orchestration.defs.dbt.resources import dbt_resource

    db_path = settings.prepare_environment(db_path)
    log_path = Path("logs") / "retention_lift.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    prepare_dbt_project()
    dbt = dbt_resource(load_dbt_project())
    dbt_vars = json.dumps({"duckdb_path": str(db_path)})
    with (
        warehouse_lock.write_lock(db_path, on_wait=on_wait),
        log_path.open("a") as log,
        contextlib.redirect_stdout(log),
    ):
        invocation = dbt.cli(
            ["build", "--select", LIFT_MODEL, "--vars", dbt_vars], raise_on_error=False
        )
        invocation.wait()
    if not invocation.is_successful():
        raise UserError(f"dbt build --select {LIFT_MODEL} failed; full log in {log_path}")


def simulate_month_after(
    db_path: Path, store_dir: Path, on_wait: Callable[[str], None] | None = None, seed: int = 42
) -> str:
    """Write, ingest and rebuild with the simulated month after the syncs; one-line summary."""
    from orchestration.pipeline import BUILD_JOB, run_pipeline
    from retention.ingest import ingest_path
    from retention.sample_store.lift_effects import window_end, write_post_sync_orders

    after_dir = store_dir.parent / f"{store_dir.name}_after_sync"
    with warehouse_lock.connect(db_path, on_wait=on_wait) as con:
        orders = write_post_sync_orders(con, store_dir, after_dir, seed=seed)
        as_of = window_end(con)
    ingest_path(after_dir, db_path=db_path)
    result = run_pipeline(BUILD_JOB, as_of=as_of.isoformat(), db_path=db_path, on_wait=on_wait)
    if not result.success:
        failed = "; ".join(f"{key}: {message}" for key, message in result.failed_steps.items())
        raise UserError(
            f"the rebuild as of {as_of} after the simulated month failed "
            f"({failed or 'see the log'}); full log in {result.log_path}"
        )
    return f"{orders:,} simulated orders; rebuilt as of {as_of}"


def measure_lift(
    db_path: Path,
    store_dir: Path,
    on_wait: Callable[[str], None] | None = None,
    *,
    simulate: bool = False,
    seed: int = 42,
) -> str:
    """Refresh the lift mart (or simulate the month after first); one-line summary."""
    detail = ""
    if simulate:
        detail = simulate_month_after(db_path, store_dir, on_wait, seed=seed) + "; "
    else:
        refresh_lift_mart(db_path, on_wait)
    with warehouse_lock.connect(db_path, read_only=True, on_wait=on_wait) as con:
        members, held, significant = con.execute(
            f"SELECT coalesce(sum(members), 0), coalesce(sum(members) FILTER (is_holdout), 0), "
            f"count(*) FILTER (is_purchase_rate_lift_significant) FROM marts.{LIFT_MODEL}"
        ).fetchone()
    return (
        f"{detail}{members:,} members assigned, {held:,} held out, {significant} significant lifts"
    )
