"""`retention dev` (what `make dev` runs): the Dagster UI with the provider emulators up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cli.cli_run import RETENTION

from retention.cli.dev import code_location_name

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration_dev")]
QUERY = {
    "query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { name "
    "location { name } } } } }"
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dev_serves_the_ui_with_emulators_running(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }
    proc = subprocess.Popen(
        [RETENTION, "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("provider emulators on http://127.0.0.1:"), first
        emulators = first.split()[3].rstrip(";")
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, "retention dev exited"
            try:
                response = requests.post(f"http://127.0.0.1:{port}/graphql", json=QUERY, timeout=5)
                nodes = response.json()["data"]["repositoriesOrError"].get("nodes")
                if nodes:
                    break
            except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
                pass
            assert time.monotonic() < deadline, "the UI did not load the project in time"
            time.sleep(2)
        assert (tmp_path / "home" / "dagster.yaml").is_file()
        # the name `dg dev` gives it ([tool.dg.project] in pyproject.toml)
        assert [node["location"]["name"] for node in nodes] == [code_location_name()]
        answer = requests.get(f"{emulators}/klaviyo/api/lists", timeout=5)
        assert answer.status_code in (200, 401, 403, 404), answer.status_code
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in `make dev`
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulators}/klaviyo/api/lists", timeout=5)
    assert (tmp_path / "w.emulators.json").is_file()  # the accounts, kept with the warehouse
