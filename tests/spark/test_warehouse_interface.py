"""The Warehouse interface on DuckDB and the Spark settings read from profiles.yml (no JVM)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from engine_build import environment

from retention.core.errors import UserError
from retention.core.warehouse import Warehouse, copy_table, open_warehouse, read_chunks, read_table
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse
from retention.core.warehouse.spark_settings import spark_conf


@pytest.fixture
def duck(tmp_path: Path):
    with open_warehouse("duckdb", duckdb_path=tmp_path / "a.duckdb") as warehouse:
        yield warehouse


def test_duckdb_is_a_warehouse(duck):
    assert isinstance(duck, Warehouse)
    assert duck.target == "duckdb"


def test_read_batches_are_bounded_and_complete(duck):
    batches = list(duck.read_batches("select range as n from range(2500)", batch_rows=1000))
    assert max(batch.num_rows for batch in batches) <= 1000
    assert sum(batch.num_rows for batch in batches) == 2500
    chunks = list(read_chunks(duck, "select range as n from range(2500)", chunk_rows=1000))
    assert all(isinstance(chunk, pd.DataFrame) for chunk in chunks)
    assert pd.concat(chunks)["n"].tolist() == list(range(2500))


def test_empty_result_keeps_its_schema(duck):
    table = read_table(duck, "select 1 as n, 'x' as label where false")
    assert table.num_rows == 0
    assert table.column_names == ["n", "label"]


def test_write_replaces_then_appends(duck):
    duck.write_table("ml", "scores", pd.DataFrame({"customer_id": ["a", "b"], "p": [0.1, 0.2]}))
    duck.write_table("ml", "scores", pa.table({"customer_id": ["c"], "p": [0.3]}))
    assert read_table(duck, "select * from ml.scores").num_rows == 1
    duck.write_table("ml", "scores", pa.table({"p": [0.4], "customer_id": ["d"]}), append=True)
    rows = read_table(duck, "select customer_id, p from ml.scores order by 1").to_pylist()
    assert rows == [{"customer_id": "c", "p": 0.3}, {"customer_id": "d", "p": 0.4}]


def test_copy_table_moves_every_row_in_batches(duck, tmp_path: Path):
    duck.execute("create schema raw")
    duck.execute(
        "create table raw.orders as select range as id, range * 1.5 as total from range(2345)"
    )
    with DuckDBWarehouse.open(tmp_path / "b.duckdb") as other:
        assert copy_table(duck, other, "raw", "orders", batch_rows=1000) == 2345
        copied = read_table(other, "select count(*) as n, sum(total) as t from raw.orders")
    assert copied.to_pylist() == [{"n": 2345, "t": pytest.approx(2344 * 2345 / 2 * 1.5)}]


def test_unknown_target_is_a_user_error():
    with (
        pytest.raises(UserError, match="'bigquery' is not in .*profiles.yml"),
        open_warehouse("bigquery"),
    ):
        pass


def test_spark_settings_stay_local_and_inside_the_work_folder(tmp_path: Path):
    with environment(RETENTION_SPARK_DIR=str(tmp_path / "spark")):
        conf = spark_conf("spark")
    assert conf["spark.sql.warehouse.dir"] == f"{tmp_path}/spark/tables"
    assert (
        f"databaseName={tmp_path}/spark/metastore_db"
        in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    )
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.ansi.enabled"] == "false"


def test_duckdb_target_has_no_spark_settings():
    with pytest.raises(UserError, match="not a local Spark session"):
        spark_conf("duckdb")
