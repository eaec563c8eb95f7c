"""Soak test: kill -9 `retention build` (dbt child alive) and `retention sync` at random points,
then run the next command and count what stayed wedged.

One small sample store is ingested and built once (which also times dbt), the local provider
emulators run in their own process (`retention emulators`), and every email mirror sync is
synced once. Then each cycle, alternating:
- build: `retention build` is started, and once its dbt child runs it is killed with SIGKILL
  after a random share of dbt's calibrated duration; the next `retention build` must finish;
- sync: `retention sync --full-resync <email mirror syncs>` is killed with SIGKILL at a
  random point within 3 s after its Dagster run started; the next `retention sync` of the
  same syncs must finish.
Everything runs as an operator would, in subprocesses of the real CLI sharing one project
folder and one Dagster instance.

Printed per kind (all must be 0):
- wedged: next commands that did not finish within --bound seconds (then killed);
- failed: next commands that finished with a non-zero exit;
- orphans: child processes (dbt) of a killed command still alive 5 s after the kill;
- started: Dagster runs left STARTED/STARTING/NOT_STARTED after the next command;
- running: `activation.sync_runs` rows left `running` after the next command.
Also: killed (commands really killed mid-run) and recovered (lines the next command printed
about a dead run it released).

Usage: .venv/bin/python benchmarks/soak_build_kill9.py [--cycles 4] [--customers 150] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from retention.core import process

RETENTION = str(Path(sys.executable).parent / "retention")
LIVE = ("STARTED", "STARTING", "NOT_STARTED")
LIST_DESTINATIONS = {"klaviyo", "mailchimp", "braze", "iterable"}


@dataclass
class Totals:
    """What the cycles of one kind (build or sync) found."""

    cycles: int = 0
    killed: int = 0
    recovered: int = 0
    wedged: int = 0
    failed: int = 0
    orphans: int = 0
    started: int = 0
    running: int = 0
    seconds_next: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Soak:
    """The project folder, environment and emulators the commands share."""

    def __init__(self, root: Path, customers: int, bound: float, rng: random.Random) -> None:
        self.root, self.bound, self.rng = root, bound, rng
        self.db = root / "warehouse.duckdb"
        self.home = root / "dagster_home"
        self.env = {
            **os.environ,
            "RETENTION_DUCKDB_PATH": str(self.db),
            "DAGSTER_HOME": str(self.home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "COLUMNS": "200",
        }
        from retention.ingest import ingest_path
        from retention.sample_store import generate_store

        generate_store(root / "store", customers=customers, seed=11)
        ingest_path(root / "store", db_path=self.db)
        log = root / "emulators.log"  # a file, not a pipe nobody drains
        self.emulators = subprocess.Popen(
            [RETENTION, "emulators"], env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        while "# emulators listening" not in (text := log.read_text()):
            if self.emulators.poll() is not None:
                raise SystemExit(f"the emulators did not start: {text[-2000:]}")
            time.sleep(0.2)
        for line in text.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                self.env[key] = value
        self.syncs: list[str] = []
        self.dbt_seconds = 0.0

    def start(self, *args: str) -> subprocess.Popen:
        """`retention *args` in the project folder, output captured."""
        return subprocess.Popen(
            [RETENTION, *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, proc: subprocess.Popen) -> tuple[int | None, str, float]:
        """(exit code or None if wedged, output, seconds) of `proc`, killed past the bound."""
        started = time.monotonic()
        try:
            out, err = proc.communicate(timeout=self.bound)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return None, out + err, time.monotonic() - started
        return proc.returncode, out + err, time.monotonic() - started

    def dbt_child(self, proc: subprocess.Popen) -> int | None:
        """Pid of `proc`'s dbt child once it runs `dbt build`; None if `proc` ended first."""
        while proc.poll() is None:
            for pid in process.children(proc.pid):
                described = process.describe(pid)
                if "dbt" in described and "build" in described:
                    return pid
            time.sleep(0.05)
        return None

    def await_run(self, proc: subprocess.Popen) -> None:
        """Wait until `proc` executes its Dagster run (or ends)."""
        while proc.poll() is None:
            with dg.DagsterInstance.from_config(str(self.home)) as instance:
                for run in instance.get_runs(limit=5):
                    owner = process.Owner.parse(run.tags.get("retention/owner", ""))
                    if owner and owner.pid == proc.pid and run.status.value == "STARTED":
                        return
            time.sleep(0.2)

    def prepare(self) -> None:
        """First build (timing dbt) and first sync of every email mirror sync."""
        proc = self.start("build")
        pid = self.dbt_child(proc)
        began = time.monotonic()
        owner = process.Owner(process.current().host, pid, process.start_ticks(pid))
        while process.alive(owner):
            time.sleep(0.1)
        self.dbt_seconds = time.monotonic() - began
        code, out, _ = self.finish(proc)
        if code != 0:
            raise SystemExit(f"the first build failed:\n{out[-3000:]}")
        listed = subprocess.run(
            [RETENTION, "syncs", "--json"], cwd=self.root, env=self.env, capture_output=True
        )
        self.syncs = [
            s["name"]
            for s in json.loads(listed.stdout)
            if s.get("destination") in LIST_DESTINATIONS
            and s.get("mode") == "mirror"
            and s.get("channel") == "email"
        ]
        code, out, _ = self.finish(self.start("sync", *self.syncs))
        if code != 0:
            raise SystemExit(f"the first sync failed:\n{out[-3000:]}")

    def leftovers(self) -> tuple[int, int]:
        """(Dagster runs still live, sync_runs still running)."""
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            live = sum(1 for run in instance.get_runs() if run.status.value in LIVE)
        with duckdb.connect(str(self.db), read_only=True) as con:
            running = con.execute(
                "SELECT count(*) FROM activation.sync_runs WHERE status = 'running'"
            ).fetchone()[0]
        return live, running

    def cycle(self, kind: str, totals: Totals) -> None:
        """Kill one `kind` command at a random point, then run the next and count."""
        if kind == "build":
            victim, again = self.start("build"), ("build",)
            dbt = self.dbt_child(victim)
            time.sleep(self.rng.uniform(0, self.dbt_seconds))
            children = [dbt] if dbt else []
        else:
            victim, again = self.start("sync", "--full-resync", *self.syncs), ("sync", *self.syncs)
            self.await_run(victim)
            time.sleep(self.rng.uniform(0, 3.0))  # planning, then sending
            children = process.children(victim.pid)
        owners = [
            process.Owner(process.current().host, pid, process.start_ticks(pid)) for pid in children
        ]
        totals.cycles += 1
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            totals.killed += 1
        victim.communicate()
        time.sleep(5.0)
        totals.orphans += sum(1 for owner in owners if process.alive(owner))
        code, out, seconds = self.finish(self.start(*again))
        totals.seconds_next.append(round(seconds, 1))
        totals.recovered += out.count("which died")
        if code is None:
            totals.wedged += 1
            totals.notes.append(f"cycle {totals.cycles}: next {kind} wedged:\n{out[-800:]}")
        elif code != 0:
            totals.failed += 1
            totals.notes.append(f"cycle {totals.cycles}: next {kind} exit {code}:\n{out[-800:]}")
        live, running = self.leftovers()
        totals.started += live
        totals.running += running

    def stop(self) -> None:
        """Stop the emulators."""
        self.emulators.send_signal(signal.SIGINT)
        try:
            self.emulators.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.emulators.kill()
            self.emulators.wait()


def main() -> None:
    """Parse arguments, run the cycles, print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=4, help="kill cycles (build, sync, ...)")
    parser.add_argument("--customers", type=int, default=150)
    parser.add_argument("--bound", type=float, default=1200.0, help="seconds before 'wedged'")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = {"build": Totals(), "sync": Totals()}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak_build_kill9_") as tmp:
        soak = Soak(Path(tmp), args.customers, args.bound, random.Random(args.seed))
        try:
            soak.prepare()
            for index in range(args.cycles):
                kind = "build" if index % 2 == 0 else "sync"
                soak.cycle(kind, results[kind])
        finally:
            soak.stop()
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in results.items()}, indent=2))
        return
    columns = ["cycles", "killed", "recovered", "wedged", "failed", "orphans", "started", "running"]
    print(f"{'kind':<8}" + "".join(f"{c:>11}" for c in columns) + "   next command (s)")
    for kind, totals in results.items():
        values = asdict(totals)
        cells = "".join(f"{values[c]:>11}" for c in columns)
        print(f"{kind:<8}{cells}   {totals.seconds_next}")
        for note in totals.notes:
            print(f"  {kind}: {note}")
    print(f"total {time.monotonic() - started:.0f}s, dbt ran {soak.dbt_seconds:.0f}s per build")


if __name__ == "__main__":
    main()
