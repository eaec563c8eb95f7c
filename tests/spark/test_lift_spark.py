"""rpt_audience_lift gives the same rows on DuckDB and Spark (portable SQL, issue 16).

Reuses the session's Spark build (same worker, `spark` group) and adds only the assignments
table and one model on each engine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from compare import differences
from engine_build import environment, run_dbt

from activation.tables import ensure_tables
from retention.core.warehouse import copy_table, read_table
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

# Every customer assigned by a hash of their id: entered 60 days before as_of (window complete)
# or, for a few, 10 days before (window open); two audiences, one with A/B variants.
ASSIGNMENTS = """
insert into activation.audience_assignments
select audience, audience, customer_id,
       case when bucket < 20 then 'holdout'
            when audience = 'aud_vip' then 'treatment'
            when bucket < 60 then 'A' else 'B' end,
       'test_sync',
       as_of_date - cast(case when bucket % 10 = 0 then 10 else 60 end as integer),
       timestamp '2024-01-01 00:00:00'
from (
    select c.customer_id, a.audience, s.as_of_date,
           cast(('0x' || left(md5(a.audience || c.customer_id), 8)) as bigint) % 100 as bucket
    from marts.dim_customers c
    cross join (values ('aud_vip'), ('aud_winback')) a(audience)
    cross join marts.as_of_date s
)
"""


def test_lift_mart_is_identical_on_duckdb_and_spark(duckdb_build, spark_build, spark_work):
    work = spark_work / "lift"
    work.mkdir(exist_ok=True)
    db_path = work / "lift.duckdb"
    shutil.copyfile(duckdb_build, db_path)
    wal = duckdb_build.with_name(duckdb_build.name + ".wal")  # dbt ran in this process
    if wal.exists():
        shutil.copyfile(wal, db_path.with_name(db_path.name + ".wal"))
    with DuckDBWarehouse.open(db_path) as duck:
        ensure_tables(duck.con)
        duck.con.execute(ASSIGNMENTS)
        copy_table(duck, spark_build, "activation", "audience_assignments")
    with environment(RETENTION_DUCKDB_PATH=str(db_path)):
        run_dbt("duckdb", work, "build", "--select", "rpt_audience_lift")
    metastore = Path(spark_work) / "spark" / "metastore"
    with environment(RETENTION_SPARK_DIR=str(metastore), RETENTION_SPARK_SHUFFLE_PARTITIONS="2"):
        run_dbt("spark", work, "build", "--select", "rpt_audience_lift")
    with DuckDBWarehouse.open(db_path) as duck:  # same configuration as dbt in this process
        left = read_table(duck, "select * from marts.rpt_audience_lift")
    right = read_table(spark_build, "select * from marts.rpt_audience_lift")
    assert left.num_rows == 5  # holdout + treatment, holdout + A + B
    assert sum(left.column("members_window_open").to_pylist()) > 0
    assert sum(left.column("purchasers").to_pylist()) > 0
    assert sorted(left.column_names) == sorted(right.column_names)
    assert differences(left, right, left.column_names) == []
