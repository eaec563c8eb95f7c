"""The DuckDB warehouse as a Dagster resource shared by every domain.

Writers hold the cross-process write lock (`retention.core.lock`) for as long as their
connection, or the dbt / ingest process they start, is open; readers connect read-only under the
shared lock. Writing assets also run in the `WAREHOUSE_POOL` pool, so a Dagster instance with
`dagster instance concurrency set warehouse 1` queues them instead of parking workers on the lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from retention.core import lock as warehouse_lock
from retention.core import settings

WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse file: configured, else env `RETENTION_DUCKDB_PATH` read at run time."""

    duckdb_path: str | None = Field(
        default=None,
        description="Path of the DuckDB warehouse file; empty = env RETENTION_DUCKDB_PATH "
        "when the run starts, else warehouse/retention.duckdb.",
    )

    @property
    def path(self) -> Path:
        """The warehouse file as an absolute Path."""
        return Path(self.duckdb_path).resolve() if self.duckdb_path else settings.duckdb_path()

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the write lock, e.g. around a dbt or ingest process that opens the file itself."""
        with warehouse_lock.write_lock(self.path, on_wait=dg.get_dagster_logger().info):
            yield

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, held under the write lock and closed on exit."""
        with warehouse_lock.connect(self.path, on_wait=dg.get_dagster_logger().info) as con:
            yield con

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection under the shared lock, closed on exit."""
        with warehouse_lock.connect(
            self.path, read_only=True, on_wait=dg.get_dagster_logger().info
        ) as con:
            yield con
