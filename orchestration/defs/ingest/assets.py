"""The raw tables, loaded together by one `ingest_path` call."""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from orchestration.defs.errors import one_line_failure
from orchestration.defs.warehouse_resource import WAREHOUSE_POOL, WarehouseResource
from retention.core.raw_contract import LOAD_ORDER
from retention.core.settings import drop_dir

RAW_SCHEMA = "raw"
INGEST_OP = "ingest_raw"


def raw_key(table: str) -> dg.AssetKey:
    """The asset key of raw table `table` (also the key dbt's `raw` source maps to)."""
    return dg.AssetKey([RAW_SCHEMA, table])


class IngestConfig(dg.Config):
    """Where the raw files are and how to read them."""

    path: str = Field(
        default_factory=lambda: str(drop_dir()),
        description="Folder (or single file) to load; default env RETENTION_DROP_DIR or data/drop.",
    )
    format: str = Field(
        default="canonical",
        description="Input adapter: canonical | online-retail-ii | cdnow | shopify.",
    )
    date_format: str | None = Field(
        default=None, description="Order of slash dates: DMY | MDY | ISO (default: detect)."
    )
    replace: bool = Field(
        default=False,
        description="Snapshot: replace each raw table the files hold by them (may empty it); "
        "default appends, each file once.",
    )
    files: list[str] | None = Field(
        default=None,
        description="Only these files (paths below `path`), e.g. the new ones the drop sensor "
        "saw; default every file under `path`.",
    )


@dg.multi_asset(
    name=INGEST_OP,
    specs=[
        dg.AssetSpec(
            raw_key(table),
            group_name=RAW_SCHEMA,
            kinds={"duckdb"},
            description=f"raw.{table} as loaded by `retention ingest` (bad rows go to quarantine).",
        )
        for table in LOAD_ORDER
    ],
    pool=WAREHOUSE_POOL,
)
def raw_tables(
    context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Load the new or changed files under `config.path` into raw.* (each file once;
    quarantines bad rows)."""
    from retention.ingest import ingest_path
    from retention.ingest.options import IngestOptions

    with one_line_failure():
        options = IngestOptions(
            date_format=config.date_format,
            replace=config.replace,
            files=tuple(config.files) if config.files is not None else None,
        )
        with warehouse.write_lock():
            report = ingest_path(config.path, config.format, warehouse.path, options)
    context.log.info(
        f"ingested {report.rows_read} rows from {config.path}: {report.rows_loaded} loaded, "
        f"{report.rows_quarantined} quarantined; {len(report.unchanged_files)} files unchanged"
    )
    for name in report.ignored_files:
        context.log.warning(f"ignored {name}: its name names no raw table (see README, Ingest)")
    for table in LOAD_ORDER:
        files = [f for f in report.files if f.table_name == table]
        yield dg.MaterializeResult(
            asset_key=raw_key(table),
            metadata={
                "dagster/row_count": report.table_rows.get(table, 0),
                "rows_read": sum(f.rows_read for f in files),
                "rows_loaded": sum(f.rows_loaded for f in files),
                "rows_quarantined": sum(f.rows_quarantined for f in files),
                "source_files": dg.MetadataValue.json([f.source_file for f in files]),
                "load_id": report.load_id,
            },
        )
