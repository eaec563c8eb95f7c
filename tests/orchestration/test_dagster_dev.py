"""`dagster dev` (what `make dev` runs) starts and serves the UI with the code location loaded."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from orchestration.pipeline import INSTANCE_SETTINGS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration_dev")]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dagster_dev_serves_the_ui_with_the_project(tmp_path: Path) -> None:
    port = _free_port()
    dagster = Path(sys.executable).parent / "dagster"
    shutil.copy(INSTANCE_SETTINGS, tmp_path / "dagster.yaml")  # as `make dev` does: no telemetry
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }
    proc = subprocess.Popen(
        [
            str(dagster),
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            "orchestration.definitions",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    query = {"query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }"}
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, "dagster dev exited"
            try:
                response = requests.post(f"http://127.0.0.1:{port}/graphql", json=query, timeout=5)
                nodes = response.json()["data"]["repositoriesOrError"].get("nodes")
                if nodes:
                    break
            except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
                pass
            assert time.monotonic() < deadline, "dagster dev did not load the project in time"
            time.sleep(2)
        assert requests.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200
        assert nodes == [{"name": "__repository__"}]
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in `make dev` sends
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
