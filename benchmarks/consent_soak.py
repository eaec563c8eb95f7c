"""Soak the resubscribe race: people unsubscribe at the provider while syncs run and get killed.

Per destination (Klaviyo, Mailchimp) and cycle: a fresh emulator account and warehouse, a
mirror sync of `--members` consented people in small batches, started in a subprocess. While
it runs, every write request the emulator receives makes a random subscribed member unsubscribe
at the provider with probability `--unsubscribe-chance` (only people receiving marketing can
click unsubscribe); in every other cycle the sync is killed with SIGKILL after a random number
of writes. Before each of the two following runs to completion (people keep unsubscribing during
them), `--between` more subscribed members unsubscribe at the provider the way a person does
(the emulator's own unsubscribe: Klaviyo's UNSUBSCRIBE suppression, Mailchimp's status).
Printed per destination, all of which must be 0:

- resubscribes: people who unsubscribed at the provider and ended up subscribed there;
- unread opt-outs: people who unsubscribed between runs whose opt-out the next run did not
  record in activation.provider_consent;
- missing: consented people who never unsubscribed and are not on the list/tag;
- duplicates: list members held twice (lists are sets at both vendors; counted for symmetry).

`--anyone` lets any member unsubscribe, even one whose profile the sync created a moment ago
and never subscribed: Klaviyo's subscribe call always lifts an UNSUBSCRIBE suppression, so such
a person unsubscribing while that very subscribe request is in flight is resubscribed (the one
window the vendor's API leaves open; the sync reads status back right before subscribing).

Usage: .venv/bin/python benchmarks/consent_soak.py [--cycles 10] [--members 600]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "activation"))

from sync_helpers import member, one_sync, write_audience  # noqa: E402

from activation.emulators import DEFAULT_LIST_ID, Emulators, running_emulators  # noqa: E402
from activation.emulators.common import LoggedRequest  # noqa: E402
from activation.engine import run_sync  # noqa: E402

BATCH = 50  # small write batches, so a sync takes many batches and the race has room
SPECS = {
    "klaviyo": {
        "name": "soak_klaviyo",
        "destination": "klaviyo",
        "target": "Soak",
        "mode": "mirror",
        "channel": "email",
        "identifiers": {"email": "email"},
        "fields": {"first_name": "first_name"},
    },
    "mailchimp": {
        "name": "soak_mailchimp",
        "destination": "mailchimp",
        "target": "Soak",
        "mode": "mirror",
        "channel": "email",
        "list_id": DEFAULT_LIST_ID,
        "identifiers": {"email_address": "email"},
        "fields": {"FNAME": "first_name"},
    },
}
SUBPROCESS = """
import sys
import duckdb
from activation.config import load_syncs
from activation.destinations import DESTINATIONS
from activation.engine import run_sync
for cls in DESTINATIONS.values():
    cls.upsert_batch_size = min(cls.upsert_batch_size, int(sys.argv[3]))
(sync,) = load_syncs(sys.argv[2])
run_sync(duckdb.connect(sys.argv[1]), sync)
"""


def _unsubscribe(emus: Emulators, destination: str, email: str) -> None:
    """`email` clicks unsubscribe (with --anyone possibly before the sync created them)."""
    if destination == "klaviyo":
        if emus.klaviyo.profile(email):
            emus.klaviyo.unsubscribe(email)
        else:
            emus.klaviyo.seed_profile(email, email_suppressed="UNSUBSCRIBE")
    elif emus.mailchimp.member(email):
        emus.mailchimp.unsubscribe(email)
    else:
        emus.mailchimp.set_status(email, "unsubscribed")


def _unread(con: duckdb.DuckDBPyConnection, destination: str, emails: set[str]) -> int:
    """How many of `emails` activation.provider_consent does not hold as opted out."""
    rows = con.execute(
        "SELECT contact FROM activation.provider_consent WHERE destination = ? "
        "AND provider_status IN ('unsubscribed', 'suppressed', 'cleaned')",
        [destination],
    ).fetchall()
    return len({e.lower() for e in emails} - {c for (c,) in rows})


def _subscribed(emus: Emulators, destination: str, email: str) -> bool:
    if destination == "klaviyo":
        profile = emus.klaviyo.profile(email) or {}
        return profile.get("email_consent") == "SUBSCRIBED" and not profile.get("suppression")
    return (emus.mailchimp.member(email) or {}).get("status") == "subscribed"


def _subscribed_now(emus: Emulators, destination: str) -> list[str]:
    if destination == "klaviyo":
        return [
            p["email"]
            for p in emus.klaviyo.profiles.values()
            if p["email_consent"] == "SUBSCRIBED" and not p["suppression"]
        ]
    members = emus.mailchimp.lists[DEFAULT_LIST_ID]["members"].values()
    return [m["email_address"] for m in members if m["status"] == "subscribed"]


def _listed(emus: Emulators, destination: str) -> list[str]:
    if destination == "klaviyo":
        with emus.klaviyo.lock:
            (lst,) = [x for x in emus.klaviyo.lists.values() if x["name"] == "Soak"]
            return [emus.klaviyo.profiles[pid]["email"] for pid in lst["members"]]
    return sorted(emus.mailchimp.segment_members("Soak"))


def cycle(
    destination: str,
    members: int,
    chance: float,
    kill: bool,
    seed: int,
    anyone: bool,
    between: int,
) -> dict:
    """One soak cycle; returns resubscribes, unread opt-outs, missing, duplicates, counts."""
    rng = random.Random(seed)
    rows = [member(i) for i in range(members)]
    emails = [r["email"] for r in rows]
    unsubscribed: set[str] = set()
    writes: list[int] = [0]
    with tempfile.TemporaryDirectory() as tmp, running_emulators(rate_scale=200.0) as emus:
        root = Path(tmp)
        write_audience(root / "warehouse.duckdb", "aud_test", rows)
        sync = one_sync(root, SPECS[destination])

        def hook(request: LoggedRequest) -> None:
            if request.method == "GET":
                return
            writes[0] += 1
            candidates = emails if anyone else sorted(_subscribed_now(emus, destination))
            if candidates and rng.random() < chance:
                email = rng.choice(candidates)
                unsubscribed.add(email)
                _unsubscribe(emus, destination, email)

        getattr(emus, destination).on_request(hook)
        env = {**os.environ, **emus.env, "RETENTION_SYNC_RATE_SCALE": "200"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SUBPROCESS,
                str(root / "warehouse.duckdb"),
                str(root / "dbt_project"),
                str(BATCH),
            ],
            env=env,
        )
        kill_after = rng.randint(2, max(3, members // BATCH)) if kill else None
        while proc.poll() is None:
            if kill_after is not None and writes[0] >= kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait()
        os.environ.update(env)
        unread = 0
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            for _ in range(2):
                with emus.klaviyo.lock, emus.mailchimp.lock:
                    pool = sorted(_subscribed_now(emus, destination))
                    leavers = set(rng.sample(pool, min(between, len(pool))))
                    for email in leavers:
                        _unsubscribe(emus, destination, email)
                unsubscribed |= leavers
                run_sync(con, sync)
                unread += _unread(con, destination, leavers)
        listed = _listed(emus, destination)
        resubscribed = sum(1 for e in unsubscribed if _subscribed(emus, destination, e))
        missing = len(set(emails) - unsubscribed - {e.lower() for e in listed})
        return {
            "resubscribes": resubscribed,
            "unread": unread,
            "missing": missing,
            "duplicates": len(listed) - len(set(listed)),
            "unsubscribed": len(unsubscribed),
            "killed": int(proc.returncode == -signal.SIGKILL),
        }


def main() -> None:
    """Run the soak and print totals per destination."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--members", type=int, default=600)
    parser.add_argument("--unsubscribe-chance", type=float, default=0.3)
    parser.add_argument("--destinations", default="klaviyo,mailchimp")
    parser.add_argument("--between", type=int, default=10, help="unsubscribes between runs")
    parser.add_argument("--anyone", action="store_true", help="see the module docs")
    args = parser.parse_args()
    for destination in args.destinations.split(","):
        totals: dict[str, int] = {}
        started = time.monotonic()
        for n in range(args.cycles):
            result = cycle(
                destination,
                args.members,
                args.unsubscribe_chance,
                n % 2 == 0,
                n,
                args.anyone,
                args.between,
            )
            for key, value in result.items():
                totals[key] = totals.get(key, 0) + value
        print(
            f"{destination}: {args.cycles} cycles ({totals['killed']} killed with SIGKILL), "
            f"{totals['unsubscribed']} unsubscribed mid-sync or between runs -> resubscribes "
            f"{totals['resubscribes']}, unread opt-outs {totals['unread']}, "
            f"missing {totals['missing']}, duplicates "
            f"{totals['duplicates']} ({time.monotonic() - started:.0f}s)"
        )


if __name__ == "__main__":
    main()
