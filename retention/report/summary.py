"""Facts for the end-of-demo summary, read back from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retention.report import curves, queries
from retention.report.reader import frame, has_table, read_only

BUILT_SCHEMAS = ("seeds", "staging", "intermediate", "marts", "ml", "audiences", "activation")


@dataclass
class WarehouseFacts:
    """Tables per schema, customers per RFM segment, churn AUCs and per-destination syncs."""

    tables_built: dict[str, int] = field(default_factory=dict)
    rfm_segments: dict[str, int] = field(default_factory=dict)
    churn_auc: dict[str, float] = field(default_factory=dict)
    churn_model: dict[str, str] = field(default_factory=dict)  # version, as_of, run_id
    destinations: list[dict] = field(default_factory=list)
    not_ok_syncs: dict[str, str] = field(default_factory=dict)  # sync name -> why


def _tables_built(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select table_schema, count(*) from information_schema.tables "
        "where table_schema in (select unnest(?)) group by 1",
        [list(BUILT_SCHEMAS)],
    ).fetchall()
    counts = dict(rows)
    return {schema: int(counts[schema]) for schema in BUILT_SCHEMAS if schema in counts}


def _destinations(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per destination: syncs, records held now, and the latest runs' added/removed/failed and
    drift (members missing at the provider or there unsent, read back after the run)."""
    df = frame(
        con,
        """
        with runs as (select * from latest_runs),
        held as (
            select sync_name, count(*) as members
            from activation.sync_records where fields_hash is not null group by 1
        )
        select l.destination,
               count(*) as audiences,
               coalesce(sum(h.members), 0) as members,
               coalesce(sum(l.added), 0) as added,
               coalesce(sum(l.removed), 0) as removed,
               coalesce(sum(l.failed), 0) as failed,
               coalesce(sum(l.missing_at_provider + l.unexpected_at_provider), 0) as drift
        from runs l left join held h using (sync_name)
        group by 1 order by 1
        """,
    )
    return [
        {k: (v if k == "destination" else int(v)) for k, v in r.items()}
        for r in df.to_dict("records")
    ]


def _not_ok(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Sync name -> why its latest run is not ok: its status when not `success`, failed rows,
    or drift found by the read-back."""
    rows = con.execute(
        "select sync_name, status, coalesce(failed, 0)::int, missing_at_provider::int, "
        "unexpected_at_provider::int "
        "from latest_runs order by sync_name"
    ).fetchall()
    reasons = {}
    for name, status, failed, missing, unexpected in rows:
        why = [status] if status != "success" else []
        why += [f"{failed:,} failed rows"] if failed else []
        why += [f"{missing:,} members missing at the provider"] if missing else []
        why += [f"{unexpected:,} members there it never sent"] if unexpected else []
        if why:
            reasons[name] = ", ".join(why)
    return reasons


def read_facts(db_path: Path) -> WarehouseFacts:
    """Read the summary facts from the warehouse at `db_path` (read-only)."""
    facts = WarehouseFacts()
    with read_only(db_path) as con:
        facts.tables_built = _tables_built(con)
        if has_table(con, "marts", "customer_rfm"):
            segments = queries.rfm_segments(con)
            facts.rfm_segments = dict(
                zip(segments["segment"], map(int, segments["customers"]), strict=True)
            )
        run = queries.churn_scoring_run(con)
        if run is not None:
            facts.churn_auc = curves.auc_by_scorer(run["metrics"])
            facts.churn_model = {
                "model_version": str(run["parameters"].get("model_version", "unknown")),
                "as_of": str(run["parameters"].get("as_of") or run.get("data_window_end"))[:10],
                "run_id": str(run["run_id"]),
            }
        if has_table(con, "marts", "rpt_sync_history"):
            latest = queries.sync_runs(con).groupby("sync_name").tail(1)
            con.register("latest_runs", latest)
            facts.destinations = _destinations(con)
            facts.not_ok_syncs = _not_ok(con)
    return facts
