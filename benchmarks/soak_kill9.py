"""Soak test: kill -9 a sync at random points, resume it, and count what went wrong.

For each destination type (a list destination, Klaviyo; SMS, Twilio; WhatsApp) it runs N
cycles. Each cycle gets a fresh warehouse and a fresh target at the provider (new list, new
phone numbers), some people who unsubscribed at the provider (Klaviyo suppression, Twilio
opt-out) and some without consent in the warehouse. The sync runs in a subprocess that is
killed with SIGKILL after a random number of write requests plus a random delay; a second
subprocess resumes it to the end, and a third run must send nothing. The emulators run in a
separate process the whole time (their state outlives every kill).

Printed per destination (all must be 0 except `held back`):
- duplicates: messages delivered more than once / profiles created twice for one email;
- missing: people who should have been reached and were not (and were not reported);
- resubscribes: people unsubscribed at the provider or without consent who were subscribed,
  added or messaged;
- held back: WhatsApp messages whose outcome a kill made unknown; WhatsApp cannot look messages
  up, so they are not resent (at-most-once) and are reported as row errors instead;
- rerun writes: write requests sent by a third run after the resume (nothing left to do);
- killed / interrupted marked: sync processes killed, and killed runs the resume found
  unfinished (still `running`) and marked `interrupted`.

Usage: .venv/bin/python benchmarks/soak_kill9.py [--cycles 20] [--fault-rate 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import yaml

from activation.emulators import Emulators, running_emulators

MODEL = "aud_soak"
TWILIO_ACCOUNT = "AC" + "5" * 32
SYNC_CODE = """
import json, sys
import duckdb
from activation.config import load_syncs
from activation.engine import run_sync
con = duckdb.connect(sys.argv[1])
(sync,) = load_syncs(sys.argv[2])
result = run_sync(con, sync)
con.close()
print(json.dumps({**result.counts(), "write_requests": result.write_requests}))
"""


# --- queries answered by the emulator process ---------------------------------------------
def _writes(emus: Emulators, vendor: str) -> int:
    return len(getattr(emus, vendor).write_requests)


def _seed(emus: Emulators, vendor: str, suppressed: list[str]) -> None:
    for address in suppressed:
        if vendor == "klaviyo":
            emus.klaviyo.seed_profile(address, email_suppressed="UNSUBSCRIBE")
        elif vendor == "twilio":
            with emus.twilio.lock:
                emus.twilio.opted_out.add(address)
    emus.whatsapp.approve_template("soak_offer")


def _klaviyo_state(emus: Emulators, list_name: str, emails: list[str]) -> dict:
    wanted = {e.lower() for e in emails}
    with emus.klaviyo.lock:
        per_email = Counter(
            (p["email"] or "").lower()
            for p in emus.klaviyo.profiles.values()
            if (p["email"] or "").lower() in wanted
        )
        subscribed = [
            e
            for e in wanted
            if (emus.klaviyo.profile(e) or {}).get("email_consent") == "SUBSCRIBED"
        ]
    members = emus.klaviyo.list_members(list_name)
    return {"per_email": dict(per_email), "members": sorted(members), "subscribed": subscribed}


def _messages(emus: Emulators, vendor: str, numbers: list[str]) -> dict[str, int]:
    wanted = {n.lstrip("+") for n in numbers}
    emulator = getattr(emus, vendor)
    with emulator.lock:
        sent = Counter(m["to"].lstrip("+") for m in emulator.messages)
    return {"+" + n: c for n, c in sent.items() if n in wanted}


QUERIES: dict[str, Callable] = {
    "writes": _writes,
    "seed": _seed,
    "klaviyo_state": _klaviyo_state,
    "messages": _messages,
}


def _serve(conn, fault_rate: float, seed: int) -> None:
    """Emulator process: serve on 127.0.0.1 and answer queries from the soak driver."""
    with running_emulators(
        rate_scale=1000.0, fault_rate=fault_rate, retry_after_s=0.05, seed=seed
    ) as emus:
        conn.send(emus.env)
        while (message := conn.recv()) is not None:
            name, args = message
            conn.send(QUERIES[name](emus, *args))


class EmulatorProcess:
    """The emulators in a child process, queried over a pipe."""

    def __init__(self, fault_rate: float, seed: int) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(
            target=_serve, args=(child, fault_rate, seed), daemon=True
        )
        self.proc.start()
        self.env: dict[str, str] = self.conn.recv()

    def ask(self, name: str, *args):
        """Run query `name` in the emulator process."""
        self.conn.send((name, args))
        return self.conn.recv()

    def stop(self) -> None:
        """Stop the emulator process."""
        self.conn.send(None)
        self.proc.join(timeout=10)


# --- one destination type ------------------------------------------------------------------
@dataclass
class Kind:
    """A destination type under test: its sync spec and client rate scale."""

    vendor: str
    channel: str
    members: int
    rate_scale: float
    spec: Callable[[int], dict]


KINDS = {
    "klaviyo": Kind(
        "klaviyo",
        "email",
        2500,
        1.0,
        lambda cycle: {
            "destination": "klaviyo",
            "target": f"Soak {cycle}",
            "mode": "mirror",
            "identifiers": {"email": "email"},
            "fields": {"first_name": "first_name"},
        },
    ),
    "twilio": Kind(
        "twilio",
        "sms",
        40,
        1.0,
        lambda cycle: {
            "destination": "twilio",
            "target": "soak",
            "identifiers": {"to": "phone"},
            "fields": {"first_name": "first_name"},
            "account_sid": TWILIO_ACCOUNT,
            "from_number": "+15550001111",
            "body": "Hi {first_name}, your offer inside",
        },
    ),
    "whatsapp": Kind(
        "whatsapp",
        "whatsapp",
        40,
        0.125,
        lambda cycle: {
            "destination": "whatsapp",
            "target": "soak_offer",
            "identifiers": {"to": "phone"},
            "fields": {"first_name": "first_name"},
            "phone_number_id": "1234567890",
            "body_parameters": ["first_name"],
        },
    ),
}


@dataclass
class Totals:
    """What the cycles of one destination type found."""

    cycles: int = 0
    killed: int = 0  # sync processes killed (the run may have just finished)
    duplicates: int = 0
    missing: int = 0
    resubscribes: int = 0
    held_back: int = 0
    held_back_delivered: int = 0
    interrupted_marked: int = 0  # killed runs the resume found unfinished and marked
    rerun_writes: int = 0
    notes: list[str] = field(default_factory=list)


def _people(kind: Kind, base: int) -> list[dict]:
    """The cycle's audience: every 10th without consent, every 20th unsubscribed upstream
    (not on WhatsApp, whose Cloud API has no opt-out list)."""
    people = []
    for i in range(kind.members):
        n = base + i
        people.append(
            {
                "customer_id": f"c{n:09d}",
                "email": f"soak{n}@example.com",
                "phone": f"+1555{n:07d}",
                "first_name": f"First{n}",
                "consent": i % 10 != 3,
                "unsubscribed": i % 20 == 7 and kind.vendor != "whatsapp",  # no opt-out API
            }
        )
    return people


def write_cycle(
    folder: Path, kind: Kind, cycle: int, people: list[dict], prefix: str = "soak"
) -> None:
    """One cycle's warehouse (the audience table of `people`) and dbt project declaring the
    sync `<prefix>_<vendor>` of `kind` (also used by soak_faults.py)."""
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA audiences")
    con.execute(
        f"CREATE TABLE audiences.{MODEL} (customer_id VARCHAR, email VARCHAR, phone VARCHAR, "
        "first_name VARCHAR, has_email_consent BOOLEAN, has_sms_consent BOOLEAN, "
        "has_whatsapp_consent BOOLEAN, channel VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO audiences.{MODEL} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (p["customer_id"], p["email"], p["phone"], p["first_name"], *[p["consent"]] * 3)
            + (kind.channel,)
            for p in people
        ],
    )
    con.close()
    name = f"{prefix}_{kind.vendor}"
    doc = {
        "version": 2,
        "models": [
            {
                "name": MODEL,
                "config": {
                    "meta": {
                        "activation": {
                            "syncs": [{"name": name, "channel": kind.channel, **kind.spec(cycle)}]
                        }
                    }
                },
            }
        ],
        "exposures": [
            {
                "name": name,
                "type": "application",
                "owner": {"name": "Soak", "email": "soak@example.com"},
                "depends_on": [f"ref('{MODEL}')"],
            }
        ],
    }
    audiences = folder / "dbt" / "models" / "audiences"
    audiences.mkdir(parents=True)
    (audiences / f"{MODEL}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _start_sync(folder: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SYNC_CODE, str(folder / "warehouse.duckdb"), str(folder / "dbt")],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_sync(folder: Path, env: dict[str, str]) -> dict:
    proc = _start_sync(folder, env)
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"sync subprocess failed ({proc.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _calibrate(emus: EmulatorProcess, kind: Kind, folder: Path, env: dict) -> tuple[int, float]:
    """(write requests, mean seconds between them) of one uninterrupted run, timed from its
    first write to its last so kills land while the sync works, not while Python starts."""
    before = emus.ask("writes", kind.vendor)
    proc = _start_sync(folder, env)
    first = last = None
    seen = 0
    while proc.poll() is None:
        count = emus.ask("writes", kind.vendor) - before
        if count > seen:
            seen, last = count, time.monotonic()
            first = first or last
        time.sleep(0.002)
    proc.communicate()
    writes = emus.ask("writes", kind.vendor) - before
    span = (last - first) if first and last else 0.0
    return writes, max(0.01, span / max(writes - 1, 1))


def _kill_at_random(
    emus: EmulatorProcess, kind: Kind, folder: Path, env: dict, rng: random.Random, plan: tuple
) -> bool:
    """Start the sync and SIGKILL it after a random share of its writes; True if killed."""
    writes, gap = plan
    before = emus.ask("writes", kind.vendor)
    proc = _start_sync(folder, env)
    target = rng.randint(1, max(writes - 1, 1))  # between two writes of the run
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if emus.ask("writes", kind.vendor) - before >= target:
            break
        time.sleep(0.002)
    time.sleep(rng.uniform(0, gap))
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    return killed


def _measure(emus: EmulatorProcess, kind: Kind, cycle: int, people: list[dict]) -> dict:
    expected = [p for p in people if p["consent"] and not p["unsubscribed"]]
    forbidden = [p for p in people if not p["consent"] or p["unsubscribed"]]
    if kind.vendor == "klaviyo":
        state = emus.ask("klaviyo_state", f"Soak {cycle}", [p["email"] for p in people])
        members = set(state["members"])
        return {
            "duplicates": sum(c - 1 for c in state["per_email"].values()),
            "missing": [p["email"] for p in expected if p["email"] not in members],
            "resubscribes": sum(
                1
                for p in forbidden
                if p["email"] in members
                or (p["unsubscribed"] and p["email"].lower() in state["subscribed"])
            ),
        }
    sent = emus.ask("messages", kind.vendor, [p["phone"] for p in people])
    return {
        "duplicates": sum(c - 1 for c in sent.values()),
        "missing": [p["customer_id"] for p in expected if p["phone"] not in sent],
        "resubscribes": sum(1 for p in forbidden if p["phone"] in sent),
        "sent": sent,
    }


def _ledger(folder: Path, people: list[dict]) -> tuple[set[str], int, int]:
    """(keys held back as unknown, interrupted runs, runs still running) from the warehouse."""
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        statuses = Counter(
            s for (s,) in con.execute("SELECT status FROM activation.sync_runs").fetchall()
        )
        has_ledger = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sync_messages'"
        ).fetchone()[0]
        unknown = (
            {
                k
                for (k,) in con.execute(
                    "SELECT record_key FROM activation.sync_messages WHERE status = 'unknown'"
                ).fetchall()
            }
            if has_ledger
            else set()
        )
    finally:
        con.close()
    return unknown, statuses["interrupted"], statuses["running"]


def soak(kind: Kind, cycles: int, emus: EmulatorProcess, root: Path, rng: random.Random) -> Totals:
    """Run `cycles` kill -9 cycles for one destination type."""
    env = {**emus.env, "RETENTION_SYNC_RATE_SCALE": str(kind.rate_scale)}
    totals = Totals()
    index = list(KINDS).index(kind.vendor)
    # calibration: one uninterrupted run gives the number of writes and their spacing
    people = _people(kind, (index * 100 + 99) * 10_000)
    folder = root / kind.vendor / "calibration"
    write_cycle(folder, kind, 999, people)
    emus.ask(
        "seed",
        kind.vendor,
        [p["email" if kind.vendor == "klaviyo" else "phone"] for p in people if p["unsubscribed"]],
    )
    plan = _calibrate(emus, kind, folder, env)
    for cycle in range(cycles):
        people = _people(kind, (index * 100 + cycle) * 10_000)
        folder = root / kind.vendor / f"cycle{cycle}"
        write_cycle(folder, kind, cycle, people)
        address = "email" if kind.vendor == "klaviyo" else "phone"
        emus.ask("seed", kind.vendor, [p[address] for p in people if p["unsubscribed"]])
        killed = _kill_at_random(emus, kind, folder, env, rng, plan)
        _run_sync(folder, env)
        before = emus.ask("writes", kind.vendor)
        rerun = _run_sync(folder, env)
        rerun_writes = emus.ask("writes", kind.vendor) - before
        found = _measure(emus, kind, cycle, people)
        unknown, interrupted, running = _ledger(folder, people)
        phones = {p["customer_id"]: p["phone"] for p in people}
        held = [k for k in found["missing"] if k in unknown]
        totals.cycles += 1
        totals.killed += killed
        totals.duplicates += found["duplicates"]
        totals.missing += len(found["missing"]) - len(held)
        totals.resubscribes += found["resubscribes"]
        totals.held_back += len(unknown)
        totals.held_back_delivered += sum(1 for k in unknown if phones[k] in found.get("sent", {}))
        totals.interrupted_marked += interrupted
        totals.rerun_writes += rerun_writes
        if running:
            totals.notes.append(f"cycle {cycle}: {running} run(s) still 'running'")
        if rerun["status"] not in ("success",):
            totals.notes.append(f"cycle {cycle}: rerun status {rerun['status']}")
    return totals


def main() -> None:
    """Parse arguments, run the soak per destination type, print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="injected 429/503 share")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    emus = EmulatorProcess(args.fault_rate, args.seed)
    results: dict[str, Totals] = {}
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="soak_kill9_") as tmp:
            for name in args.kinds.split(","):
                results[name] = soak(KINDS[name], args.cycles, emus, Path(tmp), rng)
    finally:
        emus.stop()
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in results.items()}, indent=2))
        return
    columns = [
        "cycles",
        "killed",
        "duplicates",
        "missing",
        "resubscribes",
        "held_back",
        "held_back_delivered",
        "interrupted_marked",
        "rerun_writes",
    ]
    print(f"{'destination':<12}" + "".join(f"{c:>21}" for c in columns))
    for name, totals in results.items():
        values = asdict(totals)
        print(f"{name:<12}" + "".join(f"{values[c]:>21}" for c in columns))
        for note in totals.notes:
            print(f"  {name}: {note}")
    print(f"total {time.monotonic() - started:.0f}s, fault rate {args.fault_rate}")


if __name__ == "__main__":
    main()
