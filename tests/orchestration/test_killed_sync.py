"""kill -9 of `retention sync` mid-run: the next sync runs, the killed sync run is `interrupted`.

A temp project declares two Klaviyo syncs of one small audience; the Klaviyo emulator holds its
bulk import jobs open so the first sync is surely mid-run (polling its job) when it is killed.
The next command syncs the *other* audience: it marks the dead process's run interrupted by
liveness (not only a rerun of the same sync does), and its Dagster run is no longer STARTED.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from activation.emulators import Emulators, running_emulators

MODEL = "aud_kill"
SYNCS = [
    {
        "name": name,
        "destination": "klaviyo",
        "target": target,
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"email": "email"},
    }
    for name, target in (("kill_first", "Killed list"), ("kill_second", "Other list"))
]
# the CLI in a subprocess, on the temp project (as the in-process CLI tests point it there)
CLI = """
import sys
from pathlib import Path
import retention.cli.main as cli
import retention.core.settings as settings
cli._register()
settings.DBT_PROJECT_DIR = Path(sys.argv[1])
sys.argv = ["retention", *sys.argv[2:]]
cli.main()
"""


@pytest.fixture
def emus() -> Iterator[Emulators]:
    with running_emulators(rate_scale=200, retry_after_s=0.05, klaviyo_job_seconds=600) as e:
        yield e


def _project(root: Path) -> Path:
    folder = root / "dbt_project" / "models" / "audiences"
    folder.mkdir(parents=True)
    doc = {
        "version": 2,
        "models": [{"name": MODEL, "config": {"meta": {"activation": {"syncs": SYNCS}}}}],
        "exposures": [
            {
                "name": s["name"],
                "type": "application",
                "owner": {"name": "Lifecycle", "email": "marketing@example.com"},
                "depends_on": [f"ref('{MODEL}')"],
            }
            for s in SYNCS
        ],
    }
    (folder / f"{MODEL}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root / "dbt_project"


def _audience(db: Path, members: int) -> None:
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA audiences")
    con.execute(
        f"CREATE TABLE audiences.{MODEL} AS SELECT printf('c%05d', i) AS customer_id, "
        "printf('kill%d@example.com', i) AS email, 'First' || i AS first_name, "
        "true AS has_email_consent, false AS has_sms_consent, false AS has_whatsapp_consent, "
        "'email' AS channel FROM range(?) t(i)",
        [members],
    )
    con.close()


def _sync(project: Path, env: dict[str, str], *names: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, str(project), "sync", *names],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_sync_is_interrupted_and_the_next_sync_runs(emus, tmp_path: Path) -> None:
    project, db = _project(tmp_path), tmp_path / "w.duckdb"
    _audience(db, 40)
    env = {
        **os.environ,
        **emus.env,
        "RETENTION_SYNC_RATE_SCALE": "200",
        "RETENTION_DUCKDB_PATH": str(db),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "COLUMNS": "200",
    }
    killed = _sync(project, env, "kill_first")
    deadline = time.monotonic() + 300
    while not emus.klaviyo.write_requests:  # its import job is open: the run is mid-way
        assert killed.poll() is None, killed.communicate()
        assert time.monotonic() < deadline, "the sync never wrote"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    emus.klaviyo.job_seconds = 0.01

    done = _sync(project, env, "kill_second")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, out + err
    assert "kill_first was left running by pid" in err and "marked interrupted" in err
    assert "which died: marked failed" in err  # its Dagster run
    with duckdb.connect(str(db), read_only=True) as con:
        runs = dict(con.execute("SELECT sync_name, status FROM activation.sync_runs").fetchall())
    assert runs == {"kill_first": "interrupted", "kill_second": "success"}
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        statuses = sorted(run.status.value for run in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]
