"""`python -m bench.migration.traffic`: the cutover's pause under the traffic driver.

The issue's pause target (p99 ≤ 50 ms) is for cutovers made while the app is in use: buyers
buying and paying through the yellow cart, sellers editing stock and shipping. Here the whole
system runs as an operator runs it, through the acceptance tests' harness of real services
(`tests/integration/migration_live.py`: `keranjang serve` social, commerce, the payment
simulator and the migration service, each a process of its own, on fresh PostgreSQL
databases); `keranjang legacy seed` generates the marketplace, the traffic driver (`keranjang
legacy traffic`) starts, every seller is planned and forced, and `keranjang migrate run
--workers N` moves them all with the default budget while the driver goes on. The pauses are
every cutover's `pause_ms` in the journal, as in `python -m bench.migration`; the driver's own
figures (requests, latency, server errors) are its last lines. Needs the test dependencies
(`scripts/install --test`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.kit.errors import BenchError
from bench.kit.postgres import default_admin_url, postgres_databases
from bench.kit.results import RESULTS_DIR, code_version, machine, run_bench, utc_timestamp
from bench.kit.tables import print_table, say
from bench.migration.measure import journal_figures, kept, quantile

TARGET_P99_MS = 50.0
PURPOSES = ("social", "commerce", "payments", "migration")


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.migration.traffic",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--merchants", type=int, default=2_000)
    parser.add_argument("--products-per-merchant", type=int, default=10)
    parser.add_argument("--buyers", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=9_000, help="orders in all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=10.0, help="the driver's steps a second")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="how long the driver runs (longer than the move)")  # fmt: skip
    parser.add_argument("--pg-url", default=default_admin_url())
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.integration import migration_live as live_

    size = live_.Marketplace(args.merchants, args.products_per_merchant, args.buyers,
                             args.orders, seed=2023)  # fmt: skip
    with postgres_databases(args.pg_url, PURPOSES) as urls, tempfile.TemporaryDirectory() as tmp:
        say(f"Generating {args.merchants:,} merchants and starting the services …")
        with live_.running(Path(tmp) / "live", urls, size) as live:
            journal = Path(tmp) / "traffic.jsonl"
            driver = live.traffic(journal, rate=args.rate, seconds=args.seconds, seed=2023)
            live_.wait_for_traffic(journal, driver)
            driving = time.perf_counter()
            if live.migrate("plan").returncode != 0:
                raise BenchError("migrate plan failed")
            live_.force_every_seller(live, "benchmark under traffic")
            say(f"Moving them with {args.workers} workers, the driver at {args.rate:g} steps/s …")
            started = time.perf_counter()
            done = live.migrate("run", "--workers", str(args.workers), "--json", timeout=3600)
            moved_s = time.perf_counter() - started
            if done.returncode not in (0, 3):  # 3: some left for the operator
                raise BenchError(f"migrate run failed: {done.stdout}{done.stderr}"[-3000:])
            under_traffic = driver.poll() is None
            driver_code = live_.finish(driver, timeout=args.seconds + 120)
            driven = time.perf_counter() - driving
            output = live_.driver_output(live, journal)
        figures = journal_figures(urls["migration"])
    return summarise(args, figures, (moved_s, driven, under_traffic), (driver_code, output))


def summarise(args: argparse.Namespace, figures: dict[str, Any], timing: tuple[float, float, bool],
              driver: tuple[int, str]) -> dict[str, Any]:  # fmt: skip
    moved_s, driven_s, under_traffic = timing
    pauses = figures["pauses_ms"]
    merchants = figures["merchants_cut_over"]
    return {
        "benchmark": "migration-traffic", "timestamp": utc_timestamp(), "code": code_version(),
        "machine": machine(), "size": {k: v for k, v in vars(args).items() if k != "pg_url"},
        "move_seconds": moved_s, "driver_seconds": driven_s,
        "moved_under_traffic": under_traffic, "journal": kept(figures),
        "pause_ms": {"p50": quantile(pauses, 0.5), "p99": quantile(pauses, 0.99),
                     "max": max(pauses, default=float("nan")), "cutovers": len(pauses),
                     "merchants": merchants},
        "merchants_per_minute": merchants / (moved_s / 60) if moved_s else None,
        "driver": {"exit_code": driver[0], "last_lines": driver[1].strip().splitlines()[-6:]},
    }  # fmt: skip


def report(result: dict[str, Any]) -> None:
    p = result["pause_ms"]
    rows = [
        ("merchants cut over, rows moved", f"{p['merchants']:,}, "
         f"{result['journal']['rows_total']:,}", ""),
        ("wall clock of migrate run (s); the driver ran through it",
         f"{result['move_seconds']:,.1f}; {'yes' if result['moved_under_traffic'] else 'NO'}", ""),
        (f"cutover pause p50 / p99 / max (ms), {p['cutovers']} cutovers",
         f"{p['p50']:.1f} / {p['p99']:.1f} / {p['max']:.1f}",
         f"target p99 <= {TARGET_P99_MS:g}"),
        ("left for the operator", f"{result['journal']['phases'].get('catching_up', 0)}", ""),
        ("the driver's exit code (1: a server error was answered)",
         f"{result['driver']['exit_code']}", "0"),
    ]  # fmt: skip
    print_table(("figure", "value", "target"), rows)
    print("\n".join(result["driver"]["last_lines"]))


def main() -> int:
    return run_bench("migration-traffic", options, run, report)


if __name__ == "__main__":
    sys.exit(main())
