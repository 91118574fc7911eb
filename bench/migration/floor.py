"""`python -m bench.migration.floor`: the best any engine could do moving the migration bench's
rows between two databases, against the bench's own baseline, in the same run.

On a legacy marketplace generated as `python -m bench.migration` generates it (fresh social,
commerce and journal databases), each round measures, for the same rows:

a. `INSERT INTO bench_x SELECT * FROM x` inside social (the migration bench's baseline);
b. COPY streams from social into plain tables of commerce's database with the same columns
   (binary and text, with social's indexes; binary without), no Python per row;
c. every seller's rows into commerce's real tables, with Python per row remapping ids through
   dicts and the id map written to the journal's database as the rows go (`floor_remap`),
   without the id map and with it;
c'. c's rows written into commerce's tables again by PostgreSQL itself (`INSERT … SELECT` from
   a temporary copy): commerce's schema alone, no Python, no second database;
d. c verified per seller by aggregates read from both sides and compared (`floor_verify`).

Each figure is the median over the rounds; the table gives rows/s and the ratio to (a), rows per
CPU second (client and backends) and its ratio to (a)'s, and the CPU of this process (the client:
all the Python of c and d) and of PostgreSQL's backends serving the bench's databases.
bench/README.md has the figures and what they say.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.kit.cpu import CpuSnapshot, cpu_usage
from bench.kit.errors import BenchError
from bench.kit.postgres import database_name, default_admin_url, postgres_databases
from bench.kit.results import RESULTS_DIR, code_version, machine, run_bench, utc_timestamp
from bench.kit.tables import print_table, say
from bench.migration.floor_backends import backends
from bench.migration.floor_copy import Stream, cross_database_copy
from bench.migration.floor_remap import prepare_remap, remap_copy, rewrite_in_commerce
from bench.migration.floor_verify import verify
from bench.migration.measure import Size, baseline, environment, generate

TARGET_RATIO, FULL_MERCHANTS = 0.25, 100_000
STREAMS = (Stream("binary"), Stream("text"), Stream("binary", indexes=False))
BASELINE = "a. INSERT … SELECT in social"
REMAP_BARE = "c. remapped into commerce's tables, no id map"
REMAP = "c. remapped into commerce's tables, id map kept"
REWRITE = "c'. c's rows: INSERT … SELECT in commerce"
VERIFY = "d. per-seller aggregates, both sides"
COPY_AND_VERIFY = "c + d: copied, then verified"


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.migration.floor",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--merchants", type=int, default=2000)
    parser.add_argument("--products-per-merchant", type=int, default=10)
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--orders", type=int, default=9000, help="orders in all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default=default_admin_url())
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    args = parser.parse_args()
    if min(args.merchants, args.buyers, args.orders, args.rounds) < 1:
        parser.error("--merchants, --buyers, --orders and --rounds take 1 or more")
    return args


def timed(what: Callable[[], Any], purposes: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """`what()`'s answer and the CPU of the window: seconds of this process (the client) and of
    the PostgreSQL backends serving its connections (`floor_backends`), in all and per
    database (`purposes`: database name -> social, commerce, migration), and the cores the
    whole machine kept busy (other work on a shared machine included)."""
    before, served = CpuSnapshot.take(), dict(backends.by_database)
    answer = what()
    after = CpuSnapshot.take()
    cpu = cpu_usage(before, after, {}, with_postgres=False)
    spent = {purposes.get(name, name): seconds - served.get(name, 0.0)
             for name, seconds in backends.by_database.items()}  # fmt: skip
    return answer, {"client_s": after.client - before.client,
                    "postgres_s": sum(spent.values()), "postgres_by_database_s": spent,
                    "machine_busy_cores": cpu.get("machine_busy_cores", float("nan"))}  # fmt: skip


def one_round(urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every measure once, in the order a-d: {measure: rows, seconds, cpu}."""
    purposes = {database_name(url): purpose for purpose, url in urls.items()}
    found: dict[str, dict[str, Any]] = {}
    (rows, seconds), cpu = timed(lambda: baseline(urls["social"], backends.connect), purposes)
    found[BASELINE] = {"rows": rows, "seconds": seconds, "cpu": cpu}
    for stream in STREAMS:
        copy = partial(cross_database_copy, urls["social"], urls["commerce"], stream)
        (rows, seconds), cpu = timed(copy, purposes)
        found[f"b. {stream.name}"] = {"rows": rows, "seconds": seconds, "cpu": cpu}
    bare, cpu = timed(lambda: remap_copy(urls, keep_map=False), purposes)
    found[REMAP_BARE] = {"rows": bare.rows, "seconds": bare.seconds, "cpu": cpu,
                         "steps": bare.steps}  # fmt: skip
    copied, cpu = timed(lambda: remap_copy(urls), purposes)
    found[REMAP] = {"rows": copied.rows, "seconds": copied.seconds, "cpu": cpu,
                    "steps": copied.steps}  # fmt: skip
    (rows, seconds), cpu = timed(lambda: rewrite_in_commerce(urls["commerce"]), purposes)
    found[REWRITE] = {"rows": rows, "seconds": seconds, "cpu": cpu}
    (checked, seconds, wrong), cpu = timed(lambda: verify(urls, copied.maps["merchant"]), purposes)
    if wrong:
        raise BenchError("the copy does not verify: " + "; ".join(wrong[:5]))
    found[VERIFY] = {"rows": checked, "seconds": seconds, "cpu": cpu}
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = Size(args.merchants, args.products_per_merchant, args.buyers, args.orders, workers=0)
    purposes = ("social", "commerce", "migration")
    rounds = []
    with postgres_databases(args.pg_url, purposes) as urls, tempfile.TemporaryDirectory() as tmp:
        say(f"Generating {size.merchants:,} merchants …")
        seeded_s = generate(environment(urls, tmp), size)
        prepare_remap(urls["commerce"], urls["migration"])
        for n in range(args.rounds):
            say(f"Round {n + 1} of {args.rounds} …")
            rounds.append(one_round(urls))
    result = {"benchmark": "migration-floor", "timestamp": utc_timestamp(),
              "code": code_version(), "machine": machine(), "size": size.__dict__,
              "seed_seconds": seeded_s, "rounds": rounds, "measures": summarise(rounds),
              "remap_steps": remap_steps(rounds)}  # fmt: skip
    result["at_100k_minutes"] = at_full_scale(result)
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per measure, the medians over the rounds, with c + d as one measure (the rows of c over
    the seconds of both), and each rate's ratio to the baseline's."""
    out: dict[str, dict[str, Any]] = {}
    for name in rounds[0]:
        runs = [r[name] for r in rounds]
        out[name] = {
            "rows": runs[0]["rows"],
            "seconds": _median([r["seconds"] for r in runs]),
            "client_cpu_s": _median([r["cpu"]["client_s"] for r in runs]),
            "postgres_cpu_s": _median([r["cpu"]["postgres_s"] for r in runs]),
            "machine_busy_cores": _median([r["cpu"]["machine_busy_cores"] for r in runs]),
            "postgres_by_database_s": {
                purpose: _median([r["cpu"]["postgres_by_database_s"].get(purpose, 0.0)
                                  for r in runs])
                for purpose in runs[0]["cpu"]["postgres_by_database_s"]
            },
        }  # fmt: skip
    both = [r[REMAP]["seconds"] + r[VERIFY]["seconds"] for r in rounds]
    c, d = out[REMAP], out[VERIFY]
    out[COPY_AND_VERIFY] = {"rows": c["rows"], "seconds": _median(both),
                            "client_cpu_s": c["client_cpu_s"] + d["client_cpu_s"],
                            "postgres_cpu_s": c["postgres_cpu_s"] + d["postgres_cpu_s"],
                            "machine_busy_cores": max(c["machine_busy_cores"],
                                                      d["machine_busy_cores"])}  # fmt: skip
    base = out[BASELINE]["rows"] / out[BASELINE]["seconds"]
    # Per CPU second of the client and the backends: what a shared machine's wall clock blurs.
    base_cpu = out[BASELINE]["rows"] / (
        out[BASELINE]["client_cpu_s"] + out[BASELINE]["postgres_cpu_s"]
    )
    for figures in out.values():
        figures["rows_per_second"] = figures["rows"] / figures["seconds"]
        figures["ratio"] = figures["rows_per_second"] / base
        figures["rows_per_cpu_second"] = figures["rows"] / (
            figures["client_cpu_s"] + figures["postgres_cpu_s"]
        )
        figures["cpu_ratio"] = figures["rows_per_cpu_second"] / base_cpu
    return out


def remap_steps(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """c (id map kept) step by step: rows, median seconds, rows/s."""
    out = {}
    for table, first in rounds[0][REMAP]["steps"].items():
        seconds = _median([r[REMAP]["steps"][table]["seconds"] for r in rounds])
        out[table] = {"rows": first["rows"], "seconds": seconds,
                      "rows_per_second": first["rows"] / seconds if seconds else float("nan")}  # fmt: skip
    return out


def at_full_scale(result: dict[str, Any]) -> dict[str, float]:
    """Minutes for 100,000 merchants of this marketplace's rows per merchant, at each rate."""
    merchants = result["size"]["merchants"]
    return {name: FULL_MERCHANTS * m["rows"] / merchants / m["rows_per_second"] / 60
            for name, m in result["measures"].items()}  # fmt: skip


def report(result: dict[str, Any]) -> None:
    rows = [
        (name, f"{m['rows']:,}", f"{m['seconds']:.3f}", f"{m['rows_per_second']:,.0f}",
         f"{m['ratio']:.3f}", f"{m['client_cpu_s']:.2f} / {m['postgres_cpu_s']:.2f}",
         f"{m['rows_per_cpu_second']:,.0f}", f"{m['cpu_ratio']:.3f}",
         f"{m['machine_busy_cores']:.2f}")
        for name, m in result["measures"].items()
    ]  # fmt: skip
    print_table(("measure (median of rounds)", "rows", "s", "rows/s", "ratio to a",
                 "CPU s: client / postgres", "rows/CPU s", "ratio", "machine busy"), rows)  # fmt: skip
    steps = [(table, f"{m['rows']:,}", f"{m['seconds']:.3f}", f"{m['rows_per_second']:,.0f}")
             for table, m in result["remap_steps"].items()]  # fmt: skip
    print_table(("c, id map kept: commerce table", "rows", "s", "rows/s"), steps)
    by_db = result["measures"][REMAP]["postgres_by_database_s"]
    say("c's PostgreSQL CPU by database (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in by_db.items()))  # fmt: skip
    full = result["at_100k_minutes"]
    say(f"100,000 merchants of these ({result['size']['merchants']:,} merchants' rows scaled): "
        f"a {full[BASELINE]:.1f} min, c {full[REMAP]:.1f} min, "
        f"c + d {full[COPY_AND_VERIFY]:.1f} min.")  # fmt: skip
    c = result["measures"][COPY_AND_VERIFY]["ratio"]
    say(f"Copied and verified between two databases: {c:.3f} of INSERT … SELECT "
        f"(the migration bench's target: >= {TARGET_RATIO}).")  # fmt: skip


def main() -> int:
    return run_bench("migration-floor", options, run, report)


if __name__ == "__main__":
    sys.exit(main())
