"""Start an ingest + build run when new files land in the raw drop folder."""

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


def landed_files(folder: Path, now: float) -> dict[str, int]:
    """Data files under `folder` (name -> mtime ns), minus hidden and still-being-written ones."""
    files: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        if (
            not path.is_file()
            or path.name.startswith(".")
            or path.suffix.lower() not in DATA_SUFFIXES
        ):
            continue
        mtime = path.stat().st_mtime_ns
        if now - mtime / 1e9 >= SETTLE_SECONDS:
            files[str(path.relative_to(folder))] = mtime
    return files


@dg.sensor(
    job=ingest_and_build_job,
    minimum_interval_seconds=60,
    description="Every 60 s: an ingest_and_build run when new data files have settled in the "
    "drop folder (env RETENTION_DROP_DIR, default data/drop; format RETENTION_DROP_FORMAT).",
)
def raw_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Request one `ingest_and_build` run per batch of files newer than the last one seen."""
    folder = drop_dir()
    if not folder.is_dir():
        return dg.SkipReason(f"drop folder {folder} does not exist (env RETENTION_DROP_DIR)")
    seen = int(context.cursor or 0)
    files = landed_files(folder, time.time())
    new = sorted(name for name, mtime in files.items() if mtime > seen)
    if not new:
        return dg.SkipReason(f"no new files in {folder}")
    newest = max(files[name] for name in new)
    run_config = {
        "ops": {
            INGEST_OP: {
                "config": {
                    "path": str(folder),
                    "format": os.environ.get("RETENTION_DROP_FORMAT", "canonical"),
                }
            }
        }
    }
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"drop-{newest}",
                run_config=run_config,
                tags={"retention/new_files": ", ".join(new)[:200]},
            )
        ],
        cursor=str(newest),
    )


full_pipeline_job = dg.define_asset_job(
    name="full_pipeline",
    selection=dg.AssetSelection.all(),
    description="Load the drop folder, build, score and sync every audience.",
)
