"""`python -m bench.checkout`: see the package's text (`--help`) and bench/README.md."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.checkout.api import open_api
from bench.checkout.books import check_books
from bench.checkout.measure import Bench, measure, prepare, summarise
from bench.checkout.options import Options, parse_options
from bench.checkout.report import print_report
from bench.checkout.shop import Shop
from bench.checkout.statements import count_statements
from bench.checkout.system import System, postgres_system
from bench.kit.errors import BenchError
from bench.kit.load import event_loop_factory
from bench.kit.postgres import pgbench_binary, pgbench_init
from bench.kit.processes import on_sigterm_unwind
from bench.kit.results import code_version, machine, utc_timestamp, write_result

LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


def say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Ran:
    """Everything a run measured, before it is summarised."""

    client: str
    pgbench: dict[str, Any]
    shop: Shop
    inline: bool
    statements: dict[str, Any]
    measured: dict[str, Any]
    books: dict[str, Any]


def _load(
    system: System, options: Options, workdir: Path, loop_factory: LoopFactory, pgbench: str
) -> Ran:
    """pgbench's database initialised, the shop seeded, the statements counted, the rounds
    measured and the books checked, on a running system."""
    say(f"  pgbench -i -s {options.pgbench_scale} ...")
    pgbench_info = pgbench_init(pgbench, system.db_urls["pgbench"], options.pgbench_scale)
    say(f"  initialised in {pgbench_info['init_seconds']:.1f}s")
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        api = runner.run(open_api(system.commerce_url, options.connections))
        bench = Bench(options, system, api, workdir)
        try:
            shop, inline = runner.run(prepare(bench))
            say(
                f"  seeded {options.merchants} merchants, {len(shop.products)} products, "
                f"{len(shop.buyers)} buyers; payment "
                f"{'in the checkout request' if inline else 'as a separate request'}"
            )
            statements = count_statements(system, inline, workdir)
            say(f"  one checkout runs {statements['statements']} SQL statements")
            measured = runner.run(measure(bench, shop, inline, pgbench))
        finally:
            runner.run(api.close())
    books = check_books(system, shop, bench.tally)
    return Ran(api.name, pgbench_info, shop, inline, statements, measured, books)


def run(options: Options, workdir: Path, loop_factory: LoopFactory) -> Ran:
    """The system started, loaded and stopped (its databases dropped), whatever happens."""
    pgbench = pgbench_binary(options.pgbench)  # before anything starts: no run without it
    say("Starting commerce and the payment simulator on PostgreSQL ...")
    started = time.monotonic()
    with postgres_system(workdir, options.pg_url, options.commerce_workers) as system:
        say(
            f"  up in {time.monotonic() - started:.1f}s: commerce {system.commerce_url}, "
            f"payments {system.payments_url}"
        )
        return _load(system, options, workdir, loop_factory, pgbench)


def result_of(ran: Ran, options: Options, head: dict[str, Any]) -> dict[str, Any]:
    """The result file's content (`head`: timestamp, client, code)."""
    measured = ran.measured
    return {
        "benchmark": "checkout",
        "timestamp": head["timestamp"],
        "database": "postgresql",
        "client": head["client"],
        "connections": options.connections,
        "commerce_workers": options.commerce_workers,
        "seconds": options.seconds,
        "warmup": options.warmup,
        "products": len(ran.shop.products),
        "merchants": options.merchants,
        "inline_payment": ran.inline,
        "pgbench": {
            **ran.pgbench,
            "clients": options.connections,
            "threads": options.pgbench_threads,
            "mode": "built-in TPC-B-like script, simple query protocol",
        },
        "code": head["code"],
        "profiled": bool(measured["profiles"]),
        "machine": machine(),
        "rounds": [{name: asdict(p) for name, p in r.items()} for r in measured["rounds"]],
        "pools": measured["pools"],
        "summary": summarise(measured, ran.statements, ran.books),
        "statements": ran.statements,
        "books": ran.books,
        "profiles": measured["profiles"],
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    on_sigterm_unwind()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print(
            "aiohttp is not installed: pip install -c requirements/lock.txt -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    loop_factory = event_loop_factory(options.no_uvloop)
    timestamp, code = utc_timestamp(), code_version()
    with tempfile.TemporaryDirectory(prefix="keranjang-bench-") as workdir:
        try:
            ran = run(options, Path(workdir), loop_factory)
        except BenchError as exc:
            print(f"benchmark could not run: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: everything started was stopped and dropped", file=sys.stderr)
            return 130
    client = ran.client + (" + uvloop" if loop_factory else "")
    result = result_of(ran, options, {"timestamp": timestamp, "client": client, "code": code})
    print_report(result, options.show_sql)
    out = write_result(options.results_dir, "checkout", result)
    print(f"\nResults written to {out}")
    return 1 if result["summary"]["errors"] or not ran.books["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
