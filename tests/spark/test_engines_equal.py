"""The same dbt project on DuckDB and on Spark gives the same rows (issue: Beyond one machine).

One test on purpose: the Spark build is expensive and its embedded metastore admits one process,
so nothing else may need the `spark_build` fixture in another worker.
"""

from __future__ import annotations

import pytest
from compare import differences

from retention.core.warehouse import Warehouse, read_table

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

LTV_HISTORICAL = [
    "customer_id",
    "historical_revenue",
    "historical_orders_count",
    "historical_avg_order_value",
    "first_order_at",
    "last_order_at",
]
MARTS = {"marts.customer_rfm": None, "marts.cohort_retention": None}
CHURN = {
    "intermediate.int_churn_features_by_cutoff": None,
    "intermediate.int_churn_labels_by_cutoff": None,
}


def audience_models(warehouse: Warehouse) -> list[str]:
    """Every aud_* table DuckDB built."""
    table = read_table(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'audiences' and starts_with(table_name, 'aud_') "
        "order by table_name",
    )
    return table.column("table_name").to_pylist()


def compare(duck: Warehouse, spark: Warehouse, relation: str, columns: list[str] | None) -> str:
    """'' when `relation` has the same columns and rows on both engines, else what differs."""
    left = read_table(duck, f"select * from {relation}")
    right = read_table(spark, f"select * from {relation}")
    if sorted(left.column_names) != sorted(right.column_names):
        return f"{relation} columns: {left.column_names} vs {right.column_names}"
    found = differences(left, right, columns or left.column_names)
    return f"{relation}:\n  " + "\n  ".join(found) if found else ""


def test_models_are_identical_on_duckdb_and_spark(duckdb_warehouse, spark_build):
    audiences = audience_models(duckdb_warehouse)
    assert len(audiences) >= 20, audiences
    relations = {
        **MARTS,
        **CHURN,
        "marts.customer_ltv": LTV_HISTORICAL,
        **{f"audiences.{name}": None for name in audiences},
    }
    problems = [compare(duckdb_warehouse, spark_build, r, c) for r, c in relations.items()]
    assert not any(problems), "DuckDB and Spark differ:\n" + "\n".join(p for p in problems if p)

    rows = {
        relation: read_table(duckdb_warehouse, f"select count(*) as n from {relation}")[0][
            0
        ].as_py()
        for relation in relations
    }
    assert all(rows[relation] > 0 for relation in [*MARTS, *CHURN, "marts.customer_ltv"]), rows
    # event-style audiences may be empty on a small store; most must have rows to prove anything
    empty = [relation for relation, n in rows.items() if n == 0]
    assert len(empty) <= 4, f"too many empty audiences for a meaningful comparison: {empty}"
