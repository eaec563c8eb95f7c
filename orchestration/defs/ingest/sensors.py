"""Start an ingest + build run when new files land in the raw drop folder."""

import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.assets import INGEST_OP, RAW_SCHEMA
from retention.core.settings import drop_dir

DATA_SUFFIXES = {".csv", ".parquet", ".txt", ".tsv"}
SETTLE_SECONDS = 5.0
ACTIVATION_GROUP = "activation"

ingest_and_build_job = dg.define_asset_job(
    name="ingest_and_build",
    selection=dg.AssetSelection.groups(RAW_SCHEMA).downstream()
    - dg.AssetSelection.groups(ACTIVATION_GROUP),
    description="Load the drop folder into raw.*, then rebuild models and scores (no syncs).",
)


def landed_files(folder: Path, now: float) -> dict[str, str]:
    """Data files under `folder` (path below it -> `size:mtime_ns` fingerprint), minus hidden
    and still-being-written ones."""
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if (
            not path.is_file()
            or path.name.startswith(".")
            or path.suffix.lower() not in DATA_SUFFIXES
        ):
            continue
        stat = path.stat()
        if now - stat.st_mtime_ns / 1e9 >= SETTLE_SECONDS:
            files[path.relative_to(folder).as_posix()] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return files


def handed_off(cursor: str | None, files: dict[str, str]) -> dict[str, str]:
    """The files already handed to an ingest run, from the sensor's cursor (a JSON object of
    fingerprints; a cursor of the older form, the newest mtime seen, covers files up to it)."""
    if not cursor:
        return {}
    if cursor.isdigit():
        return {k: v for k, v in files.items() if int(v.split(":")[1]) <= int(cursor)}
    return json.loads(cursor)


@dg.sensor(
    job=ingest_and_build_job,
    minimum_interval_seconds=60,
    description="Every 60 s: an ingest_and_build run of the data files new or changed since the "
    "last run in the drop folder (env RETENTION_DROP_DIR, default data/drop; format "
    "RETENTION_DROP_FORMAT); files already handed off are not loaded again.",
)
def raw_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Request one `ingest_and_build` run loading only the settled files that are new or changed
    (by size and mtime) since the files recorded in the cursor."""
    folder = drop_dir()
    if not folder.is_dir():
        return dg.SkipReason(f"drop folder {folder} does not exist (env RETENTION_DROP_DIR)")
    files = landed_files(folder, time.time())
    seen = handed_off(context.cursor, files)
    new = sorted(name for name, mark in files.items() if seen.get(name) != mark)
    if not new:
        return dg.SkipReason(f"no new files in {folder}")
    fmt = os.environ.get("RETENTION_DROP_FORMAT", "canonical")
    # other formats are whole exports: they reload the folder as before
    config: dict[str, object] = {"path": str(folder), "format": fmt}
    if fmt == "canonical":
        config["files"] = new
    batch = hashlib.sha256(json.dumps({n: files[n] for n in new}).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"drop-{batch}",
                run_config={"ops": {INGEST_OP: {"config": config}}},
                tags={"retention/new_files": ", ".join(new)[:200]},
            )
        ],
        # only files still in the folder: the cursor stays the size of the folder's listing
        cursor=json.dumps(
            {**{n: seen[n] for n in seen if n in files}, **{n: files[n] for n in new}},
            sort_keys=True,
        ),
    )


full_pipeline_job = dg.define_asset_job(
    name="full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Load the drop folder, build, score and sync every audience.",
)
