"""The dbt sources ymls are the one definition of the raw and ML tables.

A column declared there (and nowhere else) reaches what ingest loads, the tables dbt creates
empty on run start and the ML tables Python creates; a bad declaration stops both readers with
one line naming the file and column.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml

from retention.core.raw_contract import RAW_SOURCES_YML, load_raw_contract
from retention.core.source_schema import CONTRACT_TYPES, ContractError

pytestmark = pytest.mark.xdist_group("source_contract")

ROOT = Path(__file__).resolve().parents[2]
SHOP_YML = Path("models/staging/_shop__sources.yml")
ML_YML = Path("models/ml/_ml__sources.yml")


def _copy_project(dest: Path) -> Path:
    """A copy of dbt_project without build output."""
    shutil.copytree(
        ROOT / "dbt_project", dest, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb")
    )
    return dest


def _edit_table(yml: Path, table: str, edit) -> None:
    """Apply `edit(table_dict)` to `table` of the sources yml at `yml` (anchors get expanded)."""
    document = yaml.safe_load(yml.read_text())
    (entry,) = [t for s in document["sources"] for t in s["tables"] if t["name"] == table]
    edit(entry)
    yml.write_text(yaml.safe_dump(document, sort_keys=False))


def _add_column(yml: Path, table: str, column: dict) -> None:
    _edit_table(yml, table, lambda entry: entry["columns"].append(column))


def _columns(db: Path, schema: str, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()


def _dbt(project: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run dbt on `project` against the DuckDB file `db`."""
    command = [str(Path(sys.executable).parent / "dbt"), *args]
    command += ["--project-dir", str(project), "--profiles-dir", str(project)]
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def extended_project(tmp_path_factory) -> Path:
    """dbt_project with three columns added to the ymls only."""
    project = _copy_project(tmp_path_factory.mktemp("extended") / "dbt_project")
    tier = {
        "name": "loyalty_tier",
        "data_type": "VARCHAR",
        "config": {"meta": {"accepted_values": ["gold", "silver"]}},
    }
    _add_column(project / SHOP_YML, "customers", tier)
    _add_column(project / SHOP_YML, "events", {"name": "campaign_id", "data_type": "BIGINT"})
    _add_column(project / ML_YML, "churn_scores", {"name": "uplift", "data_type": "DOUBLE"})
    return project


def test_a_column_declared_in_the_yml_reaches_ingest_and_python_ml_tables(
    extended_project, tmp_path
):
    store = tmp_path / "store"
    store.mkdir()
    (store / "customers.csv").write_text(
        "customer_id,email,loyalty_tier\nc1,a@example.com,gold\nc2,b@example.com,bronze\n"
    )
    (store / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,status,total\no1,c1,2024-01-02,delivered,10.00\n"
    )
    db = tmp_path / "ingested.duckdb"
    script = textwrap.dedent(
        f"""
        import duckdb
        from pathlib import Path
        from ml.outputs import ensure_ml_tables
        from retention.ingest import ingest_path

        ingest_path(Path({str(store)!r}), db_path=Path({str(db)!r}))
        with duckdb.connect({str(db)!r}) as con:
            ensure_ml_tables(con)
        """
    )
    env = {**os.environ, "RETENTION_DBT_PROJECT_DIR": str(extended_project)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = con.execute("select customer_id, loyalty_tier from raw.customers").fetchall()
        reasons = con.execute("select reason from raw.quarantine").fetchall()
    assert loaded == [("c1", "gold")]
    expected = "value not in accepted set for loyalty_tier: 'bronze' (expected gold|silver)"
    assert reasons == [(expected,)]
    assert ("campaign_id", "BIGINT") in _columns(db, "raw", "events")
    assert _columns(db, "ml", "churn_scores")[-1] == ("uplift", "DOUBLE")


def test_a_column_declared_in_the_yml_reaches_the_tables_dbt_creates(extended_project, tmp_path):
    db = tmp_path / "dbt.duckdb"
    result = _dbt(extended_project, db, "seed", "--select", "rfm_segment_rules")
    assert result.returncode == 0, result.stdout[-3000:]
    events = _columns(db, "raw", "events")
    assert [name for name, _ in events][-4:] == [
        "campaign_id",
        "_source_file",
        "_source_line",
        "_loaded_at",
    ]
    assert ("campaign_id", "BIGINT") in events
    assert ("loyalty_tier", "VARCHAR") in _columns(db, "raw", "customers")
    assert _columns(db, "ml", "churn_scores")[-1] == ("uplift", "DOUBLE")


def _set_type(data_type: str | None):
    def edit(entry: dict) -> None:
        (column,) = [c for c in entry["columns"] if c["name"] == "total"]
        if data_type is None:
            del column["data_type"]
        else:
            column["data_type"] = data_type

    return edit


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("MONEY", "column orders.total: unknown data_type 'MONEY' (use one of VARCHAR"),
        (None, "column orders.total has no data_type: add one"),
    ],
)
def test_python_refuses_a_bad_type_naming_file_and_column(tmp_path, data_type, expected):
    yml = tmp_path / "_shop__sources.yml"
    shutil.copy(RAW_SOURCES_YML, yml)
    _edit_table(yml, "orders", _set_type(data_type))
    with pytest.raises(ContractError) as error:
        load_raw_contract(yml)
    message = str(error.value)
    assert message.startswith(f"{yml}: {expected}")
    assert "\n" not in message


def test_python_refuses_a_child_listed_before_its_parent(tmp_path):
    yml = tmp_path / "_shop__sources.yml"
    document = yaml.safe_load(RAW_SOURCES_YML.read_text())
    tables = document["sources"][0]["tables"]
    tables.insert(0, tables.pop([t["name"] for t in tables].index("orders")))
    yml.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(ContractError, match="column orders.customer_id: parent customers"):
        load_raw_contract(yml)


def test_dbt_refuses_a_bad_type_naming_file_and_column(tmp_path):
    project = _copy_project(tmp_path / "dbt_project")
    _edit_table(project / SHOP_YML, "orders", _set_type("MONEY"))
    result = _dbt(project, tmp_path / "bad.duckdb", "run-operation", "create_missing_raw_tables")
    assert result.returncode != 0
    assert (
        "models/staging/_shop__sources.yml: column orders.total: unknown data_type 'MONEY'"
        in result.stdout
    )
    # dbt's type map and Python's CONTRACT_TYPES accept the same types, in the same order
    assert f"(use one of {', '.join(CONTRACT_TYPES)}, DECIMAL(p,s))" in result.stdout
