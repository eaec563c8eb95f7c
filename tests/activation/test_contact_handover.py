"""A contact handed from one customer record to another (the owner of a shared email changes,
int_audience_contact_owners) stays at the provider: the old record's removal must not take the
address the new record just added out of the list or segment."""

from __future__ import annotations

import duckdb
import pytest
from sync_helpers import member, one_sync, write_audience
from test_destinations_e2e import CASES

from activation.engine import run_sync

SHARED = "shared@example.com"


@pytest.mark.parametrize("destination", ["mailchimp", "klaviyo", "iterable"])
def test_an_address_handed_to_another_customer_stays_in_the_list(destination, emus, db, tmp_path):
    case = CASES[destination]
    sync = one_sync(tmp_path, {"name": "vip", "destination": destination, **case.spec})
    db_path = tmp_path / "warehouse.duckdb"
    db.close()
    others = [member(i) for i in range(1, 10)]
    write_audience(db_path, "aud_test", [member(100, email=SHARED), *others])
    with duckdb.connect(str(db_path)) as con:
        first = run_sync(con, sync)
    assert first.status == "success" and first.added == 10, first.errors
    assert SHARED in case.landed(emus, tmp_path)

    # customer 200 bought more recently: it owns the address now, customer 100 left
    write_audience(db_path, "aud_test", [member(200, email=SHARED), *others])
    with duckdb.connect(str(db_path)) as con:
        second = run_sync(con, sync)
    assert second.status == "success", second.errors
    assert (second.added, second.removed) == (1, 1)
    assert SHARED in case.landed(emus, tmp_path)
