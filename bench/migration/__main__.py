"""`python -m bench.migration`: see the package's text (`--help`) and bench/README.md."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench.migration
from bench.kit.postgres import default_admin_url, postgres_databases
from bench.kit.results import RESULTS_DIR, code_version, machine, run_bench, utc_timestamp
from bench.kit.tables import print_table, say
from bench.migration.finish import finish
from bench.migration.measure import (
    Size,
    baseline,
    cpu_window,
    environment,
    generate,
    journal_figures,
    kept,
    move,
    prepare,
    quantile,
    round_trip_ms,
    transactions,
)

TARGET_RATIO, TARGET_P99_MS, FULL_MERCHANTS = 0.25, 50.0, 100_000


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.migration",
                                     description=bench.migration.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--products-per-merchant", type=int, default=10)
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--orders", type=int, default=900, help="orders in all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="small merchants moved together (default: migrate run's)",
    )
    parser.add_argument("--batch-rows", type=int, default=None,
                        help="planned rows of a batch at most (default: migrate run's)")  # fmt: skip
    parser.add_argument("--finish", action=argparse.BooleanOptionalAction, default=True,
                        help="then move the merchants left for the operator, one by one with "
                             "--only and a larger pause budget, and time that too")  # fmt: skip
    parser.add_argument("--pg-url", default=default_admin_url())
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = Size(args.merchants, args.products_per_merchant, args.buyers, args.orders,
                args.workers, args.batch_size, args.batch_rows)  # fmt: skip
    purposes = ("social", "commerce", "migration")
    with postgres_databases(args.pg_url, purposes) as urls, tempfile.TemporaryDirectory() as tmp:
        env = environment(urls, tmp)
        say(f"Generating {size.merchants:,} merchants …")
        seeded_s = generate(env, size)
        prepare(urls, tmp)
        before, cpu = transactions(args.pg_url, urls), cpu_window()
        say(f"Moving them with {size.workers} workers …")
        moved_s, last = move(env, size, Path(args.results_dir))
        cpu, after = cpu_window(cpu), transactions(args.pg_url, urls)
        figures = journal_figures(urls["migration"])
        figures["transactions"] = {k: after[k] - before[k] for k in after}
        figures["floor"] = round_trip_ms(urls["social"])
        figures["cpu"] = cpu
        if args.finish:
            say("Moving those left for the operator, one by one, as an operator would …")
            figures["finished"] = finish(env, urls["migration"])
        say("Baseline: INSERT … SELECT of the same tables …")
        base_rows, base_s = baseline(urls["social"])
    return summarise(size, figures, (seeded_s, moved_s, base_rows, base_s), last)


def summarise(size: Size, figures: dict[str, Any], timing: tuple[float, float, int, float],
              last: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    seeded_s, moved_s, base_rows, base_s = timing
    done_rows = figures["rows_copied"] + figures["rows_verified"]
    engine_rate = figures["rows_total"] / moved_s  # rows copied and verified, per second
    base_rate = base_rows / base_s if base_s else float("nan")
    pauses = figures["pauses_ms"]
    merchants = figures["merchants_cut_over"]
    per_minute = merchants / (moved_s / 60)
    return {
        "benchmark": "migration", "timestamp": utc_timestamp(), "code": code_version(),
        "machine": machine(), "size": size.__dict__, "seed_seconds": seeded_s,
        "move_seconds": moved_s, "journal": kept(figures),
        "rows_copied_and_verified": done_rows, "engine_rows_per_second": engine_rate,
        "baseline_rows": base_rows, "baseline_seconds": base_s,
        "baseline_rows_per_second": base_rate, "ratio": engine_rate / base_rate,
        "pause_ms": {"p50": quantile(pauses, 0.5), "p99": quantile(pauses, 0.99),
                     "max": max(pauses, default=float("nan")), "cutovers": len(pauses),
                     "merchants": merchants},
        "merchants_per_minute": per_minute,
        "extrapolated_minutes_at_100k": FULL_MERCHANTS / per_minute if per_minute else None,
        "progress": last.get("overall_percent"),
        "floor": floor(figures, merchants, size.workers),
    }  # fmt: skip


def floor(figures: dict[str, Any], merchants: int, workers: int) -> dict[str, float]:
    """What the engine's transactions alone cost per merchant, each at the price of the
    cheapest transaction this server answers (`BEGIN; SELECT 1; COMMIT`), with every worker's
    round trips overlapping perfectly: the best this design can do, however fast its Python."""
    per_merchant = sum(figures["transactions"].values()) / max(1, merchants)
    ms = per_merchant * figures["floor"]["transaction_ms"]
    return {"transactions_per_merchant": per_merchant, "merchant_ms": ms,
            "merchants_per_minute": workers * 60_000 / ms if ms else float("nan"),
            **figures["floor"]}  # fmt: skip


def _fenced(pauses: list[float]) -> str:
    if not pauses:
        return "0"
    return f"{len(pauses)}: {pauses[len(pauses) // 2]:.1f} / {pauses[-1]:.1f}"


def report(result: dict[str, Any]) -> None:
    p, f, t = result["pause_ms"], result["floor"], result["journal"]["transactions"]
    c = result["journal"]["cpu"]
    rows = [
        ("rows moved (copied and verified)", f"{result['journal']['rows_total']:,}", ""),
        ("engine rows/s", f"{result['engine_rows_per_second']:,.0f}", ""),
        ("INSERT … SELECT rows/s", f"{result['baseline_rows_per_second']:,.0f}", ""),
        ("ratio", f"{result['ratio']:.3f}", f"target >= {TARGET_RATIO}"),
        (f"cutover pause p50 / p99 / max (ms), {p['cutovers']} cutovers of {p['merchants']}",
         f"{p['p50']:.1f} / {p['p99']:.1f} / {p['max']:.1f}",
         f"target p99 <= {TARGET_P99_MS:g}"),
        ("attempts abandoned inside the pause: how many, fenced p50 / max (ms)",
         _fenced(result["journal"].get("abandoned_in_pause_ms", [])), ""),
        ("pause steps p50 / p99 (ms)", ", ".join(
            f"{k} {v['p50']:.1f} / {v['p99']:.1f}"
            for k, v in result["journal"]["pause_steps_ms"].items()), ""),
        ("merchants per minute", f"{result['merchants_per_minute']:,.1f}", ""),
        ("100,000 merchants, extrapolated (min)", f"{result['extrapolated_minutes_at_100k']:,.1f}",
         "target < 10"),
        ("CPU of the engine per merchant (ms); machine busy / engine (cores)",
         f"{c['engine_seconds'] * 1000 / max(1, p['merchants']):,.1f}; "
         f"{c['busy_cores']:.2f} / {c['engine_cores']:.2f}", "2 cores"),
        ("transactions per merchant (social / commerce / journal)",
         f"{f['transactions_per_merchant']:,.1f} ({t.get('social', 0)} / "
         f"{t.get('commerce', 0)} / {t.get('migration', 0)} in all)", ""),
        ("cheapest statement / transaction here (ms)",
         f"{f['statement_ms']:.3f} / {f['transaction_ms']:.3f}", ""),
        ("floor: merchants per minute at those prices", f"{f['merchants_per_minute']:,.0f}", ""),
        *_finished_rows(result),
    ]  # fmt: skip
    print_table(("figure", "value", "target"), rows)


def _finished_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The merchants left for the operator, moved afterwards, and every merchant's time."""
    done = result["journal"].get("finished")
    if done is None:
        return []
    pauses = done["pauses_ms"]
    every_min = (result["move_seconds"] + done["seconds"]) / 60
    return [
        ("left for the operator, then moved one by one (--only, budget 2 x predicted)",
         f"{done['moved']} of {done['left']} in {done['seconds']:,.0f} s, "
         f"{done['rows_verified']:,} rows, pauses up to {max(pauses, default=0):,} ms", ""),
        ("every merchant moved, the run and the operator's tail (min)", f"{every_min:,.1f}",
         "target < 10"),
    ]  # fmt: skip


def main() -> int:
    return run_bench("migration", options, run, report)


if __name__ == "__main__":
    sys.exit(main())
