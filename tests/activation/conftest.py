"""Fixtures for activation tests: emulators on 127.0.0.1 and a DuckDB file per test."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from sync_helpers import FAST

import retention.cli.main as cli
from activation.emulators import Emulators, running_emulators

# Tests here point settings.DBT_PROJECT_DIR at small temp projects that only declare syncs; the
# CLI's modules read the raw and ML contracts of the real project once, when first imported, so
# import them now, whichever test runs first.
cli._register()


@pytest.fixture
def emus(monkeypatch) -> Iterator[Emulators]:
    """All emulators at x200 documented rates, env pointed at them."""
    with running_emulators(rate_scale=FAST, retry_after_s=0.05, klaviyo_job_seconds=0.01) as e:
        for key, value in e.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RETENTION_SYNC_RATE_SCALE", str(FAST))
        yield e


@pytest.fixture(autouse=True)
def dagster_home(tmp_path, monkeypatch) -> None:
    """A Dagster instance per test (`retention sync` runs the sync assets on it)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))


@pytest.fixture
def db(tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB file under tmp_path (connection closed after the test)."""
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    con = duckdb.connect(str(path))
    yield con
    con.close()


@pytest.fixture
def emus_slow_braze(monkeypatch) -> Iterator[Emulators]:
    """Emulators at documented rates x0.005 (Braze: 5 requests/s, burst 15) while the client
    is allowed x1: the client must back off on 429 + Retry-After."""
    with running_emulators(rate_scale=0.005, retry_after_s=0.05) as e:
        for key, value in e.env.items():
            monkeypatch.setenv(key, value)
        yield e
