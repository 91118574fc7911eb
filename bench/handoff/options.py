"""The hand-off benchmark's command line, read into `Options`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import bench.handoff
from bench.kit.postgres import DEFAULT_PG_URL, PG_URL_VARIABLE, default_admin_url
from bench.kit.results import RESULTS_DIR


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    connections: int
    rounds: int
    database: str
    pg_url: str
    client: str
    no_uvloop: bool
    profile: bool
    profile_out: str | None
    results_dir: str


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=10, help="measured window per phase (10)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured warm-up per phase (2)")
    p.add_argument("--connections", type=int, default=64, help="concurrent closed loops (64)")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the three phases, interleaved, and report medians (1)",
    )
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument(
        "--pg-url",
        default=default_admin_url(),
        help="PostgreSQL maintenance database URL used to create and drop the bench databases "
        f"(default: ${PG_URL_VARIABLE} or {DEFAULT_PG_URL})",
    )
    p.add_argument(
        "--client",
        choices=["aiohttp", "httpx"],
        default="aiohttp",
        help="load-generator HTTP client, used for every phase (aiohttp)",
    )
    p.add_argument("--no-uvloop", action="store_true", help="client on asyncio's default loop")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the servers during the hand-off phase (slows them: not for comparisons)",
    )
    p.add_argument("--profile-out", help="folder to keep py-spy's collapsed stacks in")
    p.add_argument("--results-dir", default=str(RESULTS_DIR), help="where the JSON goes")


def parse_options(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench.handoff",
        description=bench.handoff.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_options(p)
    args = p.parse_args(argv)
    if args.connections < 1 or args.rounds < 1 or args.seconds <= 0 or args.warmup < 0:
        p.error("--connections and --rounds must be ≥ 1, --seconds > 0, --warmup ≥ 0")
    return Options(**vars(args))
