"""ML benchmark: churn feature build + train + score and CLV on a simulated store, and the
BG/NBD fit time of `ml.bgnbd` against lifetimes' BetaGeoFitter on the same data.

    .venv/bin/python benchmarks/ml.py --customers 1000000

With --clv-backtest it measures instead what docs/ml.md reports of CLV quality: the
out-of-time backtest (bias, MAE, 90% interval coverage, top-decile capture with its interval,
the chosen model) on CDNOW (39 weeks calibration, 39 weeks holdout, as in Fader, Hardie & Lee
2005) and on a simulated store of --customers customers (365-day window):

    .venv/bin/python benchmarks/ml.py --clv-backtest --customers 20000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# Run as a script this file's folder comes first on sys.path and `ml` would be this file.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.bgnbd import fit_bgnbd  # noqa: E402
from ml.calibration import calibration_summary, collapse  # noqa: E402
from ml.churn_pipeline import build_churn_scores  # noqa: E402
from ml.clv_pipeline import build_clv_predictions  # noqa: E402
from ml.features import CUTOFFS, FEATURES, LABELS  # noqa: E402
from ml.simulation import simulate_store  # noqa: E402

AS_OF = date(2025, 1, 1)
CDNOW = Path(os.environ.get("RETENTION_SHARED_DIR", "/work/shared")) / "data/cdnow/CDNOW_sample.txt"
DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


def build_churn_views(db_path: Path, work: Path) -> None:
    """`dbt run` the churn cutoff, feature and label views on the simulated store."""
    dbt = Path(sys.executable).parent / "dbt"
    args = [str(dbt), "run", "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"), "--select", CUTOFFS, FEATURES, LABELS]  # fmt: skip
    env = {**os.environ, "RETENTION_DUCKDB_PATH": str(db_path)}
    subprocess.run(args, env=env, check=True, capture_output=True)


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, func):
    """Run `func`, print wall time, CPU time and peak RSS; return (value, wall seconds)."""
    start, cpu = time.perf_counter(), cpu_seconds()
    value = func()
    seconds = time.perf_counter() - start
    print(
        f"{label:<50} wall {seconds:7.1f} s  cpu {cpu_seconds() - cpu:7.1f} s  "
        f"peak RSS {peak_rss_gib():5.2f} GiB",
        flush=True,
    )
    return value, seconds


def print_breakdown(timings: dict[str, dict[str, float]]) -> None:
    """One line per churn build step: wall and CPU seconds, CPU share of the build."""
    total_cpu = sum(step["cpu_s"] for step in timings.values()) or 1.0
    for name, step in timings.items():
        print(
            f"    {name:<46} wall {step['wall_s']:7.1f} s  cpu {step['cpu_s']:7.1f} s  "
            f"({step['cpu_s'] / total_cpu:4.0%} of cpu)"
        )


def lifetimes_fit_seconds(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> float:
    """Wall time of lifetimes.BetaGeoFitter.fit (its own scipy optimisation) on the data."""
    from lifetimes import BetaGeoFitter

    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "T": age})
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(frame["frequency"], frame["recency"], frame["T"])
    seconds = time.perf_counter() - start
    print(f"  lifetimes params {dict((k, round(v, 4)) for k, v in fitter.params_.items())}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--fit-customers",
        type=int,
        default=200_000,
        help="customers in the BG/NBD fit comparison against lifetimes",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--clv-backtest", action="store_true", help="CLV backtest quality on CDNOW + simulated"
    )
    args = parser.parse_args()
    if args.clv_backtest:
        clv_backtests(args.customers)
        return

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.duckdb"
        settings = {"threads": args.threads, "memory_limit": "5GB"}
        with duckdb.connect(str(db_path), config=settings) as con:
            print(f"customers: {args.customers:,}, threads: {args.threads}")
            timed("simulate store (SQL)", lambda: simulate_store(con, args.customers, 0.42, AS_OF))
        timed("churn feature views (dbt run)", lambda: build_churn_views(db_path, Path(tmp)))
        con = duckdb.connect(str(db_path), config=settings)
        orders = con.execute("select count(*) from marts.fct_orders").fetchall()[0][0]
        events = con.execute("select count(*) from staging.stg_shop__events").fetchall()[0][0]
        print(f"  orders {orders:,}, events {events:,}")
        churn, churn_s = timed(
            "churn: features x3 + train x2 + baselines + score",
            lambda: build_churn_scores(con, artifacts_dir=Path(tmp) / "artifacts"),
        )
        print_breakdown(churn.timings)
        metrics = churn.metrics
        print(
            f"  rows scored {churn.rows_scored:,}; rows per fit {metrics['rows_per_fit']:,} of "
            f"{metrics['training_customers']:,}; AUC margins {metrics['auc_margins']}"
        )
        print(
            f"  model AUC {churn.metrics['scorers']['model']['roc_auc']:.4f}, "
            f"ECE {churn.metrics['expected_calibration_error']:.4f}"
        )
        print(f"  scores from {metrics['chosen_model']}: {metrics['choice_reason']}")
        clv, clv_s = timed(
            "clv: RFM + BG/NBD + Gamma-Gamma + predict", lambda: build_clv_predictions(con)
        )
        print(f"  BG/NBD {clv.parameters['bgnbd']}")
        print(f"ML total (churn + clv): {churn_s + clv_s:.1f} s, peak RSS {peak_rss_gib():.2f} GiB")

        summary = calibration_summary(con, cutoff=AS_OF, unit_days=7.0)
        n = min(args.fit_customers, len(summary))
        pick = np.random.default_rng(0).choice(len(summary), n, replace=False)
        f, r, t = summary.frequency[pick], summary.recency[pick], summary.T[pick]
        print(f"BG/NBD fit comparison on {n:,} customers (weeks)")
        _, ours_raw = timed("  ml.bgnbd (per customer rows)", lambda: fit_bgnbd(f, r, t))

        def ours_collapsed():
            unique_f, unique_r, unique_t, weights = collapse(
                type(summary)(
                    summary.customer_id[pick],
                    f,
                    r,
                    t,
                    summary.monetary[pick],
                    summary.holdout_frequency[pick],
                    7.0,
                )
            )
            return fit_bgnbd(unique_f, unique_r, unique_t, weights=weights)

        params, ours = timed("  ml.bgnbd (collapsed duplicate rows)", ours_collapsed)
        print(
            f"  ours params r={params.r:.4f} alpha={params.alpha:.4f} a={params.a:.4f} "
            f"b={params.b:.4f}"
        )
        theirs = lifetimes_fit_seconds(f, r, t)
        print(f"  lifetimes.BetaGeoFitter fit {theirs:.1f} s")
        print(
            f"speed-up vs lifetimes: {theirs / ours_raw:.1f}x (per-row), "
            f"{theirs / ours:.1f}x (collapsed)"
        )
        con.close()


def print_backtest(label: str, backtest: dict) -> None:
    """Every candidate's bias, MAE and capture; BG/NBD's interval coverage; the choice."""
    print(f"{label}: window {backtest['window']}, {backtest['customers']:,} customers, "
          f"perfect capture {backtest['perfect_top_decile_capture']:.3f}")  # fmt: skip
    for name, values in backtest["candidates"].items():
        ci = values["top_decile_capture_interval"]
        print(
            f"  {name:<20} predicted {values['predicted_total']:>12,.0f} actual "
            f"{values['actual_total']:>12,.0f} bias {values['bias']:+.3f} MAE {values['mae']:.2f}"
            f" capture {values['top_decile_capture']:.3f} ({ci['lower']:.3f}-{ci['upper']:.3f})"
        )
    btyd = backtest["candidates"]["bgnbd_gamma_gamma"]
    for kind in ("purchases_interval", "spend_interval"):
        c = btyd[kind]
        print(f"  90% {kind:<18} coverage {c['coverage']:.3f} (below {c['below']:.3f}, above "
              f"{c['above']:.3f}); summed bounds {c['summed_lower']:,.0f}-"
              f"{c['summed_upper']:,.0f}")  # fmt: skip
    total = btyd["total_spend_interval"]
    print(f"  90% interval of total spend {total['lower']:,.0f}-{total['upper']:,.0f} "
          f"(covers actual: {total['covers_actual']})")  # fmt: skip
    print(f"  expected purchases {btyd['expected_purchases']:,.0f} vs actual "
          f"{btyd['actual_purchases']:,.0f}")  # fmt: skip
    print(f"  chosen: {backtest['chosen_model']}: {backtest['choice_reason']}")
    for warning in backtest["warnings"]:
        print(f"  warning: {warning}")


def clv_backtests(customers: int) -> None:
    """The CLV backtest on CDNOW (paper split) and on a simulated store."""
    from ml.clv_backtest import clv_backtest
    from ml.config import ClvConfig

    con = duckdb.connect()
    con.execute(
        f"""create table cdnow as
        with raw as (select string_split_regex(trim(line), '\\s+') as f
                     from read_csv('{CDNOW}', delim = '|', header = false,
                                   columns = {{'line': 'VARCHAR'}}))
        select f[1] as customer_id, strptime(f[3], '%Y%m%d')::date as purchase_date,
               f[5]::double as amount from raw"""
    )
    backtest, _ = timed(
        "CDNOW backtest (fit 1997-01-01..09-30, holdout 39 weeks)",
        lambda: clv_backtest(
            con,
            date(1998, 7, 1),
            ClvConfig(backtest_days=273),
            source_sql="select * from cdnow",
            first_purchase=date(1997, 1, 1),
        ),
    )
    print_backtest("CDNOW 1/10 sample", backtest)
    con.close()
    con = duckdb.connect()
    simulate_store(con, customers, 0.42, AS_OF)
    first = con.execute(
        "select min(cast(ordered_at as date)) from marts.fct_orders where is_purchase"
    ).fetchall()[0][0]
    backtest, _ = timed(
        f"simulated store backtest ({customers:,} customers, 365 days)",
        lambda: clv_backtest(con, AS_OF, ClvConfig(), first_purchase=first),
    )
    print_backtest("simulated store", backtest)
    con.close()


if __name__ == "__main__":
    main()
