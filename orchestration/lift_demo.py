"""`retention demo --simulate-lift`: a simulated month after the syncs, then lift measured.

Simulated post-sync orders (known effect for win-back, none for VIP; see
`orchestration.sample_store.lift_effects`) are ingested with the store's own orders, and the
graph is rebuilt as of the day every member's 30-day window has ended, so the report's lift
section shows what `marts.rpt_audience_lift` estimates against the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from orchestration.warehouse_lock import connect


def simulate_month_after(
    db_path: Path, store_dir: Path, on_wait: Callable[[str], None] | None = None, seed: int = 42
) -> str:
    """Write, ingest and rebuild with the simulated month after the syncs; one-line summary."""
    from orchestration.ingest import ingest_path
    from orchestration.pipeline import BUILD_JOB, run_pipeline
    from orchestration.sample_store.lift_effects import window_end, write_post_sync_orders

    after_dir = store_dir.parent / f"{store_dir.name}_after_sync"
    with connect(db_path, on_wait=on_wait) as con:
        orders = write_post_sync_orders(con, store_dir, after_dir, seed=seed)
        as_of = window_end(con)
    ingest_path(after_dir, db_path=db_path)
    run_pipeline(BUILD_JOB, as_of=as_of.isoformat(), db_path=db_path, on_wait=on_wait)
    return f"{orders:,} simulated orders; rebuilt as of {as_of}"
