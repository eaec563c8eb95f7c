"""Change detection in SQL: the audience against the last state the provider confirmed."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from activation.config import SyncConfig
from activation.errors import SyncConfigError

AUDIENCE_SCHEMA = "audiences"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_object(mapping: dict[str, str]) -> str:
    if not mapping:
        return "json_object()"
    parts = ", ".join(f"'{k}', {_quote(v)}" for k, v in sorted(mapping.items()))
    return f"json_object({parts})"


def audience_columns(con: duckdb.DuckDBPyConnection, model: str) -> set[str]:
    """Columns of `audiences.<model>`; SyncConfigError if the table does not exist."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [AUDIENCE_SCHEMA, model],
    ).fetchall()
    if not rows:
        raise SyncConfigError(
            f"audience table {AUDIENCE_SCHEMA}.{model} does not exist in the warehouse; "
            f"run `retention build` (or `dbt build -s {model}`) first"
        )
    return {r[0] for r in rows}


ROUTING_COLUMN = "channel"


def stage_audience(con: duckdb.DuckDBPyConnection, sync: SyncConfig) -> None:
    """Build temp table `_aud` (record_key, has_consent, payload, payload_hash) for `sync`."""
    columns = audience_columns(con, sync.model)
    needed = {sync.primary_key, sync.consent_column, *sync.columns}
    missing = sorted(needed - columns)
    if missing:
        raise SyncConfigError(
            f"{sync.source_file}: sync '{sync.name}': audience {AUDIENCE_SCHEMA}.{sync.model} "
            f"has no column(s) {missing}; available: {sorted(columns)}"
        )
    # An audience routed per row (column `channel`) sends each member on one channel only:
    # this sync takes the rows routed to its own channel, so nobody gets the message twice.
    routed = (
        f" WHERE {_quote(ROUTING_COLUMN)} = '{sync.channel}'" if ROUTING_COLUMN in columns else ""
    )
    payload = (
        f"json_object('identifiers', {_json_object(sync.identifiers)}, "
        f"'fields', {_json_object(sync.fields)})"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _aud AS "
        f"SELECT CAST({_quote(sync.primary_key)} AS VARCHAR) AS record_key, "
        f"coalesce(CAST({_quote(sync.consent_column)} AS BOOLEAN), false) AS has_consent, "
        f"CAST({payload} AS VARCHAR) AS payload "
        f"FROM {AUDIENCE_SCHEMA}.{_quote(sync.model)}{routed}"
    )
    con.execute("ALTER TABLE _aud ADD COLUMN payload_hash VARCHAR")
    con.execute("UPDATE _aud SET payload_hash = md5(payload)")
    dup = con.execute(
        "SELECT record_key, count(*) FROM _aud GROUP BY 1 HAVING count(*) > 1 "
        "OR record_key IS NULL LIMIT 1"
    ).fetchone()
    if dup:
        raise SyncConfigError(
            f"{sync.source_file}: sync '{sync.name}': primary_key '{sync.primary_key}' is not "
            f"unique and non-null in {AUDIENCE_SCHEMA}.{sync.model} (e.g. {dup[0]!r}); "
            "use a unique key column"
        )


@dataclass(frozen=True)
class PlanSummary:
    """Counts of a planned diff."""

    adds: int
    updates: int
    removes: int
    skipped_no_consent: int
    currently_synced: int
    audience_size: int = 0  # members this sync targets: routed to its channel, with consent


def plan_changes(
    con: duckdb.DuckDBPyConnection, sync: SyncConfig, *, send_once: bool
) -> PlanSummary:
    """Create temp table `_plan` (record_key, op, reason, payload, payload_hash) from `_aud`.

    Adds: consented members the provider does not hold; updates: held with another hash
    (skipped for message sends); removals (mirror): held but no longer consented members.
    """
    mirror = sync.mode == "mirror"
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _plan AS
        WITH aud AS (SELECT * FROM _aud WHERE has_consent),
        held AS (
            SELECT record_key, fields_hash, payload FROM activation.sync_records
            WHERE sync_name = $name AND fields_hash IS NOT NULL
        )
        SELECT a.record_key,
               CASE WHEN h.record_key IS NULL THEN 'add' ELSE 'update' END AS op,
               NULL::VARCHAR AS reason, a.payload, a.payload_hash
        FROM aud a LEFT JOIN held h USING (record_key)
        WHERE h.record_key IS NULL OR (NOT $send_once AND h.fields_hash <> a.payload_hash)
        UNION ALL
        SELECT h.record_key, 'remove',
               CASE WHEN x.record_key IS NULL THEN 'left_audience' ELSE 'consent_withdrawn' END,
               CAST(h.payload AS VARCHAR), NULL
        FROM held h
        LEFT JOIN aud a USING (record_key)
        LEFT JOIN _aud x USING (record_key)
        WHERE $mirror AND a.record_key IS NULL
        """,
        {"name": sync.name, "send_once": send_once, "mirror": mirror},
    )
    counts = con.execute(
        "SELECT count(*) FILTER (op = 'add'), count(*) FILTER (op = 'update'), "
        "count(*) FILTER (op = 'remove') FROM _plan"
    ).fetchone()
    skipped, consented = con.execute(
        "SELECT count(*) FILTER (NOT has_consent), count(*) FILTER (has_consent) FROM _aud"
    ).fetchone()
    held = con.execute(
        "SELECT count(*) FROM activation.sync_records WHERE sync_name = ? "
        "AND fields_hash IS NOT NULL",
        [sync.name],
    ).fetchone()[0]
    return PlanSummary(counts[0], counts[1], counts[2], skipped, held, consented)
