"""RFM and cohort tables build on the CDNOW and Online Retail II shapes of raw data."""

from __future__ import annotations

from datetime import date

import pytest
import warehouse_fixture_data as data

from retention.core.raw_contract import LINEAGE_COLUMNS, TABLES


@pytest.mark.xdist_group("warehouse_cdnow")
def test_cdnow_builds_rfm_and_cohorts(cdnow_warehouse, shared_dir):
    con = cdnow_warehouse
    assert con.execute("select as_of_date from marts.as_of_date").fetchone()[0] == date(1998, 7, 1)
    customers, buyers, revenue = con.execute(
        "select count(*), count(*) filter (where orders_count > 0), sum(revenue)"
        " from marts.dim_customers"
    ).fetchone()
    raw_dollars = con.execute("select sum(total) from raw.orders").fetchone()[0]
    assert (customers, buyers) == (2357, 2357)  # the paper's sample size
    assert revenue == raw_dollars
    rfm = con.execute("select count(*), count(rfm_segment) from marts.customer_rfm")
    assert rfm.fetchone() == (2357, 2357)
    cohorts = con.execute(
        "select distinct cohort_month from marts.cohort_retention order by 1"
    ).fetchall()
    # the Q1-1997 acquisition cohort: January, February and March
    assert cohorts == [(date(1997, 1, 1),), (date(1997, 2, 1),), (date(1997, 3, 1),)]
    month_zero = con.execute(
        "select min(retention_rate), max(retention_rate) from marts.cohort_retention"
        " where months_since_first_order = 0"
    ).fetchone()
    assert month_zero == (1.0, 1.0)


@pytest.mark.xdist_group("warehouse_cdnow")
def test_missing_raw_tables_are_created_from_the_contract(cdnow_warehouse):
    """CDNOW loads only raw.orders: dbt creates the others from the yml as ingest reads it."""
    for name, spec in TABLES.items():
        actual = cdnow_warehouse.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [name],
        ).fetchall()
        assert actual == list({**spec.columns, **LINEAGE_COLUMNS}.items()), name


@pytest.mark.xdist_group("warehouse_cdnow")
def test_ml_output_tables_exist_before_any_scoring(cdnow_warehouse):
    """dbt creates the ML tables from the sources yml with the columns ml/ writes (TABLE_DDL)."""
    from ml.outputs import TABLE_DDL

    expected = {
        table: [part.split()[0] for part in ddl.split(",")] for table, ddl in TABLE_DDL.items()
    }
    assert "predicted_clv_365d_upper" in expected["clv_predictions"]
    for table, columns in expected.items():
        actual = cdnow_warehouse.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'ml' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        assert [c for (c,) in actual] == columns, table
    probability_type = cdnow_warehouse.execute(
        "select data_type from information_schema.columns where table_schema = 'ml'"
        " and table_name = 'churn_scores' and column_name = 'churn_probability'"
    ).fetchone()[0]
    assert probability_type == "DOUBLE"


@pytest.mark.xdist_group("warehouse_online_retail")
def test_online_retail_builds_rfm_and_cohorts(online_retail_warehouse):
    con = online_retail_warehouse
    rfm = dict(
        (row[0], row[1:])
        for row in con.execute(
            "select customer_id, frequency, monetary::double, recency_days from marts.customer_rfm"
        ).fetchall()
    )
    as_of = date(2010, 2, 16)  # day after the latest invoice
    # the cancellation C489449 never counts; the anonymous invoice belongs to nobody
    assert rfm == {
        "13085": (2, pytest.approx(651.10), (as_of - date(2010, 1, 5)).days),
        "16321": (1, pytest.approx(30.00), (as_of - date(2009, 12, 2)).days),
        "12682": (1, pytest.approx(60.00), 1),
    }
    cohorts = con.execute(
        "select cohort_month, months_since_first_order, customers_active, retention_rate"
        " from marts.cohort_retention order by 1, 2"
    ).fetchall()
    assert cohorts == [
        (date(2009, 12, 1), 0, 2, 1.0),
        (date(2009, 12, 1), 1, 1, 0.5),
        (date(2009, 12, 1), 2, 0, 0.0),
        (date(2010, 2, 1), 0, 1, 1.0),
    ]
    anonymous = con.execute("select count(*) from marts.fct_orders where customer_id is null")
    assert anonymous.fetchone()[0] == sum(order[1] is None for order in data.RETAIL_ORDERS)
    phone_countries = con.execute(
        "select customer_id, country_iso2 from marts.dim_customers order by 1"
    ).fetchall()
    assert phone_countries == [("12682", "FR"), ("13085", "GB"), ("16321", "AU")]
