"""The checkout benchmark's command line, read into `Options`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import bench.checkout
from bench.kit.postgres import DEFAULT_PG_URL, PG_URL_VARIABLE, default_admin_url
from bench.kit.results import RESULTS_DIR


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    connections: int
    rounds: int
    pgbench_scale: int
    pgbench_threads: int
    pgbench: str | None
    products: int
    merchants: int
    stock: int
    pool_rate: float
    payment: str
    pg_url: str
    commerce_workers: int
    show_sql: bool
    no_uvloop: bool
    profile: bool
    profile_out: str | None
    results_dir: str


def _load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=float, default=10, help="measured window per phase (10)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured warm-up (checkout) (2)")
    p.add_argument(
        "--connections",
        type=int,
        default=32,
        help="concurrent buyers, and pgbench clients (32)",
    )
    p.add_argument(
        "--rounds", type=int, default=1, help="repeat pgbench + checkout, report medians (1)"
    )
    p.add_argument(
        "--pgbench-scale",
        type=int,
        default=None,
        help="pgbench scale factor (default: --connections, so clients do not queue on branch "
        "rows)",
    )
    p.add_argument("--pgbench-threads", type=int, default=2, help="pgbench -j (2)")
    p.add_argument("--pgbench", help="the pgbench program (default: from PATH)")


def _shop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--products", type=int, default=100, help="products buyers pick from (100)")
    p.add_argument("--merchants", type=int, default=4, help="merchants selling them (4)")
    p.add_argument("--stock", type=int, default=1_000_000, help="stock per product (1,000,000)")
    p.add_argument(
        "--pool-rate",
        type=float,
        default=100,
        help="checkouts/s the prepared carts are sized for, 1.5 times over warm-up and window; "
        "later rounds use the rate measured if higher (100)",
    )
    p.add_argument(
        "--payment",
        choices=["auto", "inline", "separate"],
        default="auto",
        help="create the payment in the checkout request (`payment_method`) or with a separate "
        "request; auto: inline when commerce accepts it (auto)",
    )


def _system_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pg-url",
        default=default_admin_url(),
        help="PostgreSQL maintenance database URL used to create and drop the bench databases "
        f"(default: ${PG_URL_VARIABLE} or {DEFAULT_PG_URL})",
    )
    p.add_argument(
        "--commerce-workers",
        type=int,
        default=1,
        help="processes serving commerce (`keranjang serve commerce --workers N`) (1)",
    )
    p.add_argument("--show-sql", action="store_true", help="list the statements of one checkout")
    p.add_argument("--no-uvloop", action="store_true", help="client on asyncio's default loop")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the servers during the first checkout phase (slows them)",
    )
    p.add_argument("--profile-out", help="folder to keep py-spy's collapsed stacks in")
    p.add_argument("--results-dir", default=str(RESULTS_DIR), help="where the JSON goes")


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 1 <= args.commerce_workers <= 64:
        p.error("--commerce-workers must be from 1 to 64")
    if args.connections < 1 or args.rounds < 1 or args.seconds < 3 or args.warmup < 0:
        p.error("--connections and --rounds must be ≥ 1, --seconds ≥ 3, --warmup ≥ 0")
    if args.pool_rate <= 0:
        p.error("--pool-rate must be > 0")
    if args.products < 1 or not 1 <= args.merchants <= args.products or args.stock < 1:
        p.error("--products ≥ --merchants ≥ 1 and --stock ≥ 1")


def parse_options(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench.checkout",
        description=bench.checkout.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _load_options(p)
    _shop_options(p)
    _system_options(p)
    args = p.parse_args(argv)
    _check(p, args)
    if args.pgbench_scale is None:
        args.pgbench_scale = args.connections
    return Options(**vars(args))
