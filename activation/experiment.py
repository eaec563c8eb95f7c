"""Holdout groups and A/B variants per sync: deterministic assignment, recorded insert-only.

A sync declares `holdout_share: 0.1` or `variants: {A: 0.45, B: 0.45, holdout: 0.1}` (and
optionally `experiment: <name>`, the salt; default the audience model). Each consented member
is assigned to a group by a stable hash of experiment, audience and customer id, so a person
stays in the same group across runs and across the syncs of one audience. The first assignment
is recorded in `activation.audience_assignments` and wins from then on. Holdout members are
dropped from the staged audience before the diff, so they are never sent; with `variants` the
group is sent as field `variant`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Annotated

import duckdb
from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from activation.errors import SyncConfigError
from activation.state import now
from activation.tables import ensure_tables

if TYPE_CHECKING:
    from activation.config import SyncConfig

log = logging.getLogger("activation.experiment")

HOLDOUT = "holdout"
TREATMENT = "treatment"  # the one group besides the holdout when only holdout_share is given
VARIANT_FIELD = "variant"
MAX_HOLDOUT = 0.5
_TOLERANCE = 1e-6
_GROUP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_HASH_HEX_DIGITS = 13  # 52 bits of md5: exact in a double, so bucket = hash / 2^52 is in [0, 1)


def _error(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose text is shown as is (no template fields)."""
    return PydanticCustomError(kind, message, None)


def _check_holdout_share(value: float) -> float:
    if not 0 <= value <= MAX_HOLDOUT:
        raise _error(
            "holdout_share",
            f"holdout_share must be between 0 and {MAX_HOLDOUT} (the share of the audience "
            f"never sent), not {value}",
        )
    return value


def _check_variants(value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
    if info.data.get("holdout_share") is not None:
        raise _error(
            "experiment_split",
            "use either holdout_share or variants, not both; put the holdout in variants "
            "(e.g. {A: 0.45, B: 0.45, holdout: 0.1})",
        )
    for name, share in value.items():
        if not _GROUP_NAME.match(name):
            raise _error(
                "variant_name",
                f"variant name {name!r} must start with a letter and hold only letters, digits "
                "or _",
            )
        if not 0 <= share <= 1:
            raise _error("variant_share", f"share of variant {name} must be in [0, 1], not {share}")
    total = sum(value.values())
    if abs(total - 1) > _TOLERANCE:
        shares = ", ".join(f"{k}: {v}" for k, v in value.items())
        raise _error(
            "variant_sum", f"variant shares must sum to 1, they sum to {round(total, 6)} ({shares})"
        )
    _check_holdout_share(value.get(HOLDOUT, 0.0))
    if not any(share > 0 for name, share in value.items() if name != HOLDOUT):
        raise _error("variant_share", "at least one variant besides holdout needs a share above 0")
    if VARIANT_FIELD in (info.data.get("fields") or {}):
        raise _error(
            "variant_field",
            f"fields already maps '{VARIANT_FIELD}', which variants send; rename that field",
        )
    return value


def _check_experiment(value: str, info: ValidationInfo) -> str:
    if info.data.get("holdout_share") is None and info.data.get("variants") is None:
        raise _error(
            "experiment", "experiment names a split: add holdout_share or variants to the sync"
        )
    if not _GROUP_NAME.match(value):
        raise _error(
            "experiment",
            f"experiment {value!r} must start with a letter and hold only letters, digits or _",
        )
    return value


HoldoutShare = Annotated[float, AfterValidator(_check_holdout_share)]
Variants = Annotated[dict[str, float], AfterValidator(_check_variants)]
ExperimentName = Annotated[str, AfterValidator(_check_experiment)]


def split(sync: SyncConfig) -> dict[str, float] | None:
    """Group -> share of the sync's experiment, holdout first; None without an experiment."""
    if sync.variants is not None:
        shares = dict(sync.variants)
    elif sync.holdout_share is not None:
        shares = {TREATMENT: 1 - sync.holdout_share, HOLDOUT: sync.holdout_share}
    else:
        return None
    holdout = {HOLDOUT: shares.pop(HOLDOUT)} if HOLDOUT in shares else {}
    return {**holdout, **dict(sorted(shares.items()))}


def experiment_name(sync: SyncConfig) -> str:
    """The experiment (hash salt) of `sync`: its `experiment` key, default the audience model."""
    return sync.experiment or sync.model


def check_experiments(syncs: list[SyncConfig]) -> None:
    """SyncConfigError when syncs of one audience and experiment declare different splits, or
    a sync's destination cannot hold the `variant` field its variants send."""
    from activation.destinations import DESTINATIONS

    seen: dict[tuple[str, str], SyncConfig] = {}
    for sync in syncs:
        shares = split(sync)
        if shares is None:
            continue
        where = f"{sync.source_file}: sync '{sync.name}' (model {sync.model})"
        key = (experiment_name(sync), sync.model)
        first = seen.setdefault(key, sync)
        if split(first) != shares:
            raise SyncConfigError(
                f"{where}: experiment '{key[0]}' splits {shares}, but sync '{first.name}' "
                f"splits it {split(first)}; give both the same split, or name another `experiment`"
            )
        if sync.variants is not None:
            tagged = sync.model_copy(update={"fields": {**sync.fields, VARIANT_FIELD: "x"}})
            for field, allowed in DESTINATIONS[sync.destination].check_sync(tagged):
                if field == "fields":
                    raise SyncConfigError(
                        f"{where}: field 'variants': variants are sent as field "
                        f"'{VARIANT_FIELD}', but {sync.destination} allows {allowed}; use "
                        "holdout_share, or a destination with free-form fields"
                    )


def _entry_date_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The build's as-of date (marts.as_of_date) when built, else today."""
    built = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'as_of_date'"
    ).fetchone()[0]
    if built:
        return "(SELECT max(as_of_date) FROM marts.as_of_date)"
    return "current_date"


def _group_case(shares: dict[str, float]) -> str:
    """SQL CASE mapping `bucket` (uniform in [0, 1)) to a group by cumulative shares."""
    whens, upper = [], 0.0
    groups = [(g, s) for g, s in shares.items() if s > 0]
    for group, share in groups[:-1]:
        upper += share
        whens.append(f"WHEN bucket < {upper!r} THEN '{group}'")
    return f"CASE {' '.join(whens)} ELSE '{groups[-1][0]}' END"


def apply_experiment(con: duckdb.DuckDBPyConnection, sync: SyncConfig, *, record: bool) -> int:
    """Assign the consented members staged in `_aud`, drop the holdout, tag variants.

    Run after `diff.stage_audience` and before `diff.plan_changes`. New assignments are
    inserted into `activation.audience_assignments` when `record` (not on dry runs); an
    earlier recorded group always wins over the hash. Returns the number of rows held out.
    """
    shares = split(sync)
    if shares is None:
        return 0
    from activation.diff import AUDIENCE_SCHEMA, audience_columns

    if "customer_id" not in audience_columns(con, sync.model):
        raise SyncConfigError(
            f"{sync.source_file}: sync '{sync.name}': holdouts and variants assign customers, "
            f"but {AUDIENCE_SCHEMA}.{sync.model} has no customer_id column"
        )
    ensure_tables(con)
    name = experiment_name(sync)
    pk = '"' + sync.primary_key.replace('"', '""') + '"'
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _assign AS
        WITH members AS (
            SELECT DISTINCT a.record_key, CAST(m.customer_id AS VARCHAR) AS customer_id
            FROM _aud a
            JOIN {AUDIENCE_SCHEMA}."{sync.model}" m ON CAST(m.{pk} AS VARCHAR) = a.record_key
            WHERE a.has_consent AND m.customer_id IS NOT NULL
        ),
        recorded AS (
            SELECT customer_id, min(group_name) AS group_name
            FROM activation.audience_assignments
            WHERE experiment = $experiment AND audience = $audience
            GROUP BY customer_id
        ),
        hashed AS (
            SELECT *, CAST(('0x' || left(md5($experiment || chr(31) || $audience || chr(31)
                       || customer_id), {_HASH_HEX_DIGITS})) AS BIGINT)
                   / {float(16**_HASH_HEX_DIGITS)!r} AS bucket
            FROM members
        )
        SELECT h.record_key, h.customer_id,
               coalesce(r.group_name, {_group_case(shares)}) AS group_name,
               r.group_name IS NULL AS is_new
        FROM hashed h LEFT JOIN recorded r USING (customer_id)
        """,
        {"experiment": name, "audience": sync.model},
    )
    if record:
        con.execute(
            f"INSERT INTO activation.audience_assignments SELECT DISTINCT $experiment, "
            f"$audience, customer_id, group_name, $sync, {_entry_date_sql(con)}, $at "
            "FROM _assign WHERE is_new",
            {"experiment": name, "audience": sync.model, "sync": sync.name, "at": now()},
        )
    held = con.execute(f"SELECT count(*) FROM _assign WHERE group_name = '{HOLDOUT}'").fetchone()
    con.execute(
        f"DELETE FROM _aud WHERE record_key IN "
        f"(SELECT record_key FROM _assign WHERE group_name = '{HOLDOUT}')"
    )
    if sync.variants is not None:
        con.execute(
            "UPDATE _aud SET payload = CAST(json_merge_patch(_aud.payload, json_object("
            f"'fields', json_object('{VARIANT_FIELD}', g.group_name))) AS VARCHAR) "
            "FROM _assign g WHERE _aud.record_key = g.record_key"
        )
        con.execute("UPDATE _aud SET payload_hash = md5(payload)")
    log.info("sync %s: experiment %s: %d held out (not sent)", sync.name, name, held[0])
    return int(held[0])
