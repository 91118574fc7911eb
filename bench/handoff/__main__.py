"""`python -m bench.handoff`: see the package's text (`--help`) and bench/README.md."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.handoff.measure import measure, summarise
from bench.handoff.options import Options, parse_options
from bench.handoff.report import print_report
from bench.handoff.system import System, postgres_system, sqlite_system
from bench.kit.errors import BenchError
from bench.kit.load import event_loop_factory
from bench.kit.processes import on_sigterm_unwind
from bench.kit.results import code_version, machine, utc_timestamp, write_result

LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


def _client_available(options: Options) -> Options:
    """The options, with httpx as the client when aiohttp is not installed."""
    if options.client != "aiohttp":
        return options
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print(
            "aiohttp is not installed; falling back to --client httpx "
            "(much slower: see bench/README.md)",
            file=sys.stderr,
        )
        return Options(**{**asdict(options), "client": "httpx"})
    return options


def _system(options: Options, workdir: Path) -> contextlib.AbstractContextManager[System]:
    if options.database == "sqlite":
        return sqlite_system(workdir)
    return postgres_system(workdir, options.pg_url)


def run(options: Options, workdir: Path, loop_factory: LoopFactory) -> dict[str, Any]:
    """The system started, seeded, loaded and stopped (its databases dropped), whatever
    happens."""
    print(f"Starting Keranjang on {options.database} in a temporary folder ...", flush=True)
    started = time.monotonic()
    with _system(options, workdir) as system:
        print(
            f"  up and seeded in {time.monotonic() - started:.1f}s: social "
            f"{system.social_url}, commerce {system.commerce_url}",
            flush=True,
        )
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(measure(system, options, workdir))


def result_of(measured: dict[str, Any], options: Options, head: dict[str, Any]) -> dict[str, Any]:
    """The result file's content (`head`: timestamp, client, code)."""
    rounds = measured["rounds"]
    return {
        "benchmark": "handoff",
        "timestamp": head["timestamp"],
        "database": options.database,
        "client": head["client"],
        "connections": options.connections,
        "seconds": options.seconds,
        "warmup": options.warmup,
        "pins": measured["pins"],
        "code": head["code"],
        "profiled": bool(measured["profiles"]),
        "machine": machine(),
        "rounds": [{name: asdict(p) for name, p in r.items()} for r in rounds],
        "summary": summarise(rounds),
        "profiles": measured["profiles"],
    }


def main(argv: list[str] | None = None) -> int:
    options = _client_available(parse_options(argv))
    on_sigterm_unwind()
    loop_factory = event_loop_factory(options.no_uvloop)
    timestamp, code = utc_timestamp(), code_version()
    with tempfile.TemporaryDirectory(prefix="keranjang-bench-") as workdir:
        try:
            measured = run(options, Path(workdir), loop_factory)
        except BenchError as exc:
            print(f"benchmark could not run: {exc}", file=sys.stderr)
            return 2
    client = measured["client"] + (" + uvloop" if loop_factory else "")
    result = result_of(measured, options, {"timestamp": timestamp, "client": client, "code": code})
    print_report(result)
    out = write_result(options.results_dir, "handoff", result)
    print(f"\nResults written to {out}")
    return 1 if result["summary"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
