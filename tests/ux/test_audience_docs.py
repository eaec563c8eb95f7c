"""docs/audiences.md is generated from the audience ymls and cannot drift from them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.audience_docs import OUTPUT, audience_sizes, read_models, render
from retention.core.settings import DBT_PROJECT_DIR


def test_committed_doc_is_the_generated_one() -> None:
    assert OUTPUT.read_text() == render(DBT_PROJECT_DIR), "run `make docs` and commit the result"


def test_every_sync_is_in_the_doc() -> None:
    from activation.config import load_syncs

    text = OUTPUT.read_text()
    for sync in load_syncs(DBT_PROJECT_DIR):
        assert f"(`{sync.name}`)" in text, sync.name


def test_sizes_come_from_the_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema audiences")
        con.execute(
            "create table audiences.aud_discount_seekers as select range as id from range(3)"
        )
    models = [m.name for m in read_models(DBT_PROJECT_DIR)]
    sizes = audience_sizes(db, models)
    assert sizes == {"aud_discount_seekers": 3}
    lines = render(DBT_PROJECT_DIR, sizes).splitlines()
    (row,) = [line for line in lines if line.startswith("| `aud_discount_seekers`")]
    assert row.endswith("| 3 |")
    (other,) = [line for line in lines if line.startswith("| `aud_birthdays`")]
    assert other.endswith("| not built |")
