"""ML runs through the Warehouse interface: a DuckDBWarehouse wrapper, no JVM needed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ml.clv_pipeline import build_clv_predictions
from ml.features import build_features
from ml.outputs import TABLE_DDL
from retention.core.warehouse.duckdb_warehouse import DuckDBWarehouse

CUTOFF = date(2024, 7, 5)  # the training cutoff of the simulated store (as_of 2025-01-01)
PREDICTIONS = """select customer_id, p_alive, expected_purchases_365d, predicted_clv_365d,
                        score_reason from ml.clv_predictions order by customer_id"""


def test_clv_through_warehouse_matches_connection(sim_con):
    wrapped = DuckDBWarehouse(sim_con)
    first = build_clv_predictions(wrapped)
    through_interface = sim_con.execute(PREDICTIONS).df()
    second = build_clv_predictions(sim_con)
    # DuckDB's parallel float sums may differ in the last bits between two runs
    pd.testing.assert_frame_equal(sim_con.execute(PREDICTIONS).df(), through_interface, rtol=1e-6)
    assert first.reasons == second.reasons and first.run_id != second.run_id
    runs = sim_con.execute("select run_id from ml.clv_model_runs order by trained_at").fetchall()
    assert [run_id for (run_id,) in runs] == [first.run_id, second.run_id]
    columns = [
        name
        for (name,) in sim_con.execute(
            "select column_name from information_schema.columns where table_schema = 'ml' "
            "and table_name = 'clv_predictions' order by ordinal_position"
        ).fetchall()
    ]
    expected = [part.split()[0] for part in TABLE_DDL["clv_predictions"].split(",")]
    assert columns == expected


def test_features_through_warehouse_match_connection(sim_con):
    wrapped = build_features(DuckDBWarehouse(sim_con), CUTOFF)
    direct = build_features(sim_con, CUTOFF)
    assert wrapped.names == direct.names and wrapped.customer_id.size > 0
    np.testing.assert_array_equal(wrapped.customer_id, direct.customer_id)
    np.testing.assert_allclose(wrapped.values, direct.values, rtol=1e-6)
