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
    destinations: list[dict] = field(default_factory=list)


def _tables_built(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select table_schema, count(*) from information_schema.tables "
        "where table_schema in (select unnest(?)) group by 1",
        [list(BUILT_SCHEMAS)],
    ).fetchall()
    counts = dict(rows)
    return {schema: int(counts[schema]) for schema in BUILT_SCHEMAS if schema in counts}


def _destinations(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per destination: syncs, records held now, and the latest runs' added/removed/failed."""
    df = frame(
        con,
        f"""
        with latest as (
            select * from activation.sync_runs
            where {queries.FINISHED_RUN}
            qualify row_number() over (partition by sync_name order by started_at desc) = 1
        ),
        held as (
            select sync_name, count(*) as members
            from activation.sync_records where fields_hash is not null group by 1
        )
        select l.destination,
               count(*) as audiences,
               coalesce(sum(h.members), 0) as members,
               coalesce(sum(l.added), 0) as added,
               coalesce(sum(l.removed), 0) as removed,
               coalesce(sum(l.failed), 0) as failed
        from latest l left join held h using (sync_name)
        group by 1 order by 1
        """,
    )
    return [
        {k: (v if k == "destination" else int(v)) for k, v in r.items()}
        for r in df.to_dict("records")
    ]


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
        if has_table(con, "ml", "churn_model_runs"):
            run = queries.latest_model_run(con, "churn_model_runs")
            if run is not None:
                facts.churn_auc = curves.auc_by_scorer(run["metrics"])
        if has_table(con, "activation", "sync_runs"):
            facts.destinations = _destinations(con)
    return facts
