"""`keranjang up`: every service on SQLite files in one data folder, waited for until healthy,
seeded with a demo marketplace when the shop is empty (and the legacy in-app shop with a small
generated one when it has no sellers), and its URLs printed."""

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.table import Table

from keranjang.cli.seed import run_seed
from keranjang.cli.shared import DEFAULT_PORTS, DataDir, ServiceName, console, operator_token
from keranjang.demo.seed import SeedError, SeedSize, catalog_is_empty
from keranjang.infra import secret_files

app = typer.Typer()

SocialPort = Annotated[int, typer.Option(envvar="KERANJANG_SOCIAL_PORT")]
CommercePort = Annotated[int, typer.Option(envvar="KERANJANG_COMMERCE_PORT")]
PaymentsPort = Annotated[int, typer.Option(envvar="KERANJANG_PAYMENTS_PORT")]
MigrationPort = Annotated[int, typer.Option(envvar="KERANJANG_MIGRATION_PORT")]
OversightPort = Annotated[int, typer.Option(envvar="KERANJANG_OVERSIGHT_PORT")]
# The demo's deadline for the move, counted from start-up (the regime's is 12 April 2024).
DEMO_DEADLINE = timedelta(hours=1)


@app.command()
def up(
    *,
    data_dir: DataDir = Path(".keranjang"),
    host: Annotated[str, typer.Option(help="Interface every service binds.")] = "127.0.0.1",
    social_port: SocialPort = DEFAULT_PORTS[ServiceName.social],
    commerce_port: CommercePort = DEFAULT_PORTS[ServiceName.commerce],
    payments_port: PaymentsPort = DEFAULT_PORTS[ServiceName.payments],
    migration_port: MigrationPort = DEFAULT_PORTS[ServiceName.migration],
    oversight_port: OversightPort = DEFAULT_PORTS[ServiceName.oversight],
    seed: Annotated[
        bool,
        typer.Option(help="Seed a demo marketplace if the shop (or the in-app shop) is empty."),
    ] = True,
) -> None:
    """Start every service on SQLite files in DATA_DIR, seed a demo marketplace, print the URLs."""
    data_dir = data_dir.resolve()
    ports = {
        ServiceName.social: social_port,
        ServiceName.commerce: commerce_port,
        ServiceName.payments: payments_port,
        ServiceName.migration: migration_port,
        ServiceName.oversight: oversight_port,
    }
    refuse_unusable_ports(host, ports)
    token = operator_token(data_dir)
    env = service_env(data_dir, host, ports, token)
    urls = {name: f"http://{host}:{port}" for name, port in ports.items()}
    if seed:  # before social starts: the generator writes alone, in one transaction
        seed_legacy_shop(data_dir)
    procs = [
        subprocess.Popen([sys.executable, "-m", "keranjang", "serve", name.value], env=env)
        for name in ports
    ]
    try:
        run_marketplace(urls, procs, token, data_dir, seed=seed)
    except (RuntimeError, SeedError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)


def run_marketplace(
    urls: dict[ServiceName, str],
    procs: list[subprocess.Popen[bytes]],
    token: str,
    data_dir: Path,
    *,
    seed: bool,
) -> None:
    """Wait for every service, seed an empty shop, print the URLs, then keep watch: this returns
    only through a signal, or raises when a service stops."""
    wait_healthy(urls, procs, timeout=60)
    with httpx.Client(base_url=urls[ServiceName.commerce], timeout=10) as commerce:
        empty = catalog_is_empty(commerce)
    if seed and empty:
        run_seed(
            urls[ServiceName.social],
            urls[ServiceName.commerce],
            token,
            SeedSize(),
            creator_password=creator_password(data_dir),
        )
    print_urls(urls, data_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while all(p.poll() is None for p in procs):
        time.sleep(0.5)
    raise RuntimeError("a service stopped; shutting the others down")


def seed_legacy_shop(data_dir: Path) -> None:
    """Sellers still in the app: a small generated marketplace (products, order history, pins
    on live sessions) in social's database, unless its in-app shop has sellers already."""
    from keranjang.cli.legacy import generate, seed_key, social_database
    from keranjang.social.legacy_shop.generator.plan import Size
    from keranjang.social.legacy_shop.generator.seeding import AlreadySeeded, SeedRequest

    size = Size(merchants=12, products_per_merchant=8, buyers=60, orders=300, seed=2023)
    request = SeedRequest(size, seed_key(data_dir), datetime.now(UTC))
    try:
        report = generate(social_database(data_dir), request)
    except AlreadySeeded:
        return
    console.print(
        f"Seeded the legacy in-app shop: {size.merchants} sellers, {size.products} products, "
        f"{size.orders} orders, {size.creators} creators live ({report.rows:,} rows)."
    )


def refuse_unusable_ports(host: str, ports: dict[ServiceName, int]) -> None:
    """Stop before printing or starting anything when a service could not listen where it is
    told to (else `up` would find whatever answers there healthy, and only then see its service
    fail). Every port is checked, and every problem named, so one run shows all there is to fix."""
    problems = [p for p in map(lambda item: port_problem(host, *item), ports.items()) if p]
    taken: dict[int, ServiceName] = {}
    for name, port in ports.items():
        if port in taken:
            problems.append(
                f"[red]Port {port} is given to both {taken[port].value} and {name.value}[/red]: "
                f"choose another port with {port_option(name)}."
            )
        taken.setdefault(port, name)
    for problem in problems:
        console.print(problem)
    if problems:
        raise typer.Exit(1)


def port_option(name: ServiceName) -> str:
    return f"--{name.value}-port (or KERANJANG_{name.value.upper()}_PORT)"


def port_problem(host: str, name: ServiceName, port: int) -> str | None:
    problem = bind_problem(host, port)
    if problem is None:
        return None
    if problem.errno == errno.EADDRINUSE:
        return (
            f"[red]Port {port} on {host} is already in use[/red], so {name.value} cannot "
            f"start there: stop what is using it, or choose another port with {port_option(name)}."
        )
    return (
        f"[red]{name.value} cannot listen on {host}:{port}[/red] ({problem.strerror}): "
        f"choose another --host, or another port with {port_option(name)}."
    )


def bind_problem(host: str, port: int) -> OSError | None:
    """Why a server could not listen on host:port now, if it could not. SO_REUSEADDR as uvicorn
    sets it, so a port a stopped server left in TIME_WAIT counts as free, as it is for uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc
    return None


def payments_server_key(data_dir: Path) -> str:
    """The payment simulator's server key for this data folder, created (mode 0600) on first use."""
    return secret_files.load_or_create(data_dir / "payments-server-key")


def figures_token(data_dir: Path) -> str:
    """Social's service token for creators' figures on commerce, created (mode 0600) on first
    use; both services are given it."""
    return secret_files.load_or_create(data_dir / "figures-token")


def creator_password(data_dir: Path) -> str:
    """The demo creators' password for their pages, created (mode 0600) on first use."""
    return secret_files.load_or_create(data_dir / "creator-password", nbytes=12)


def service_env(
    data_dir: Path, host: str, ports: dict[ServiceName, int], token: str
) -> dict[str, str]:
    social = f"http://{host}:{ports[ServiceName.social]}"
    commerce = f"http://{host}:{ports[ServiceName.commerce]}"
    return {
        **os.environ,
        "KERANJANG_DATA_DIR": str(data_dir),
        "KERANJANG_SOCIAL_HOST": host,
        "KERANJANG_SOCIAL_PORT": str(ports[ServiceName.social]),
        "KERANJANG_SOCIAL_PUBLIC_URL": social,
        "KERANJANG_SOCIAL_COMMERCE_URL": commerce,
        "KERANJANG_SOCIAL_ADMIN_TOKEN": token,
        "KERANJANG_SOCIAL_FIGURES_TOKEN": figures_token(data_dir),
        "KERANJANG_SOCIAL_PAYMENTS_URL": f"http://{host}:{ports[ServiceName.payments]}",
        "KERANJANG_COMMERCE_HOST": host,
        "KERANJANG_COMMERCE_PORT": str(ports[ServiceName.commerce]),
        "KERANJANG_COMMERCE_PUBLIC_URL": commerce,
        "KERANJANG_COMMERCE_SOCIAL_URL": social,
        "KERANJANG_COMMERCE_ADMIN_TOKEN": token,
        "KERANJANG_COMMERCE_FIGURES_TOKEN": figures_token(data_dir),
        "KERANJANG_COMMERCE_PAYMENTS_URL": f"http://{host}:{ports[ServiceName.payments]}",
        "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": payments_server_key(data_dir),
        # Payouts and bank-transfer refunds are sent through the simulator's Iris desk, whose
        # callbacks come back to commerce like a partner's would.
        "KERANJANG_COMMERCE_DISBURSEMENT_PARTNER": "simulator",
        **payments_env(data_dir, host, ports[ServiceName.payments], token),
        "KERANJANG_PAYMENTS_NOTIFICATION_URL": f"{commerce}/payments/notifications",
        "KERANJANG_PAYMENTS_PAYOUT_NOTIFICATION_URL": f"{commerce}/payments/disbursements/callback",
        **migration_env(data_dir, host, ports[ServiceName.migration], token),
        **oversight_env(host, ports, token),
    }


def migration_env(data_dir: Path, host: str, port: int, token: str) -> dict[str, str]:
    """The migration service reads social's and commerce's SQLite files in the data folder; the
    regulator's token, shared by every service's evidence, is made here (`regulator-token`)."""
    secret_files.load_or_create(data_dir / "regulator-token")
    return {
        "KERANJANG_MIGRATION_HOST": host,
        "KERANJANG_MIGRATION_PORT": str(port),
        "KERANJANG_MIGRATION_PUBLIC_URL": f"http://{host}:{port}",
        "KERANJANG_MIGRATION_ADMIN_TOKEN": token,
    }


def oversight_env(host: str, ports: dict[ServiceName, int], token: str) -> dict[str, str]:
    """The monitor reads every service's evidence with the shared regulator token; its deadline
    is the demo's, counted from now, unless one is set."""
    url = {name: f"http://{host}:{port}" for name, port in ports.items()}
    deadline = datetime.now(UTC) + DEMO_DEADLINE
    return {
        "KERANJANG_OVERSIGHT_HOST": host,
        "KERANJANG_OVERSIGHT_PORT": str(ports[ServiceName.oversight]),
        "KERANJANG_OVERSIGHT_PUBLIC_URL": url[ServiceName.oversight],
        "KERANJANG_OVERSIGHT_ADMIN_TOKEN": token,
        "KERANJANG_OVERSIGHT_SOCIAL_URL": url[ServiceName.social],
        "KERANJANG_OVERSIGHT_COMMERCE_URL": url[ServiceName.commerce],
        "KERANJANG_OVERSIGHT_PAYMENTS_URL": url[ServiceName.payments],
        "KERANJANG_OVERSIGHT_MIGRATION_URL": url[ServiceName.migration],
        "KERANJANG_OVERSIGHT_DEADLINE": os.environ.get(
            "KERANJANG_OVERSIGHT_DEADLINE", deadline.isoformat(timespec="seconds")
        ),
        "KERANJANG_OVERSIGHT_EVALUATE_EVERY_SECONDS": os.environ.get(
            "KERANJANG_OVERSIGHT_EVALUATE_EVERY_SECONDS", "15"
        ),
    }


def payments_env(data_dir: Path, host: str, port: int, token: str) -> dict[str, str]:
    return {
        "KERANJANG_PAYMENTS_HOST": host,
        "KERANJANG_PAYMENTS_PORT": str(port),
        "KERANJANG_PAYMENTS_PUBLIC_URL": f"http://{host}:{port}",
        "KERANJANG_PAYMENTS_ADMIN_TOKEN": token,
        "KERANJANG_PAYMENTS_SERVER_KEY": payments_server_key(data_dir),
    }


def wait_healthy(
    urls: dict[ServiceName, str], procs: list[subprocess.Popen[bytes]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    while pending:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a service exited with code {proc.returncode} while starting")
        for name, url in list(pending.items()):
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
        time.sleep(0.2)


def print_urls(urls: dict[ServiceName, str], data_dir: Path) -> None:
    table = Table(title="Keranjang is running")
    table.add_column("service")
    table.add_column("URL")
    table.add_row("social (feed, yellow carts)", urls[ServiceName.social] + "/")
    table.add_row("commerce (shop)", urls[ServiceName.commerce] + "/")
    table.add_row("payment simulator", urls[ServiceName.payments] + "/")
    table.add_row("migration (operator's page)", urls[ServiceName.migration] + "/")
    table.add_row(
        "oversight (the regulator's dashboard, audit log)", urls[ServiceName.oversight] + "/"
    )
    for name, url in urls.items():
        table.add_row(f"{name} API docs", url + "/docs")
    console.print(table)
    console.print(
        f"Data in {data_dir}. Operator token in {data_dir / 'operator-token'}. Ctrl-C stops."
    )
    console.print(f"Payment simulator server key in {data_dir / 'payments-server-key'}.")
    console.print(f"Regulator token (read-only evidence) in {data_dir / 'regulator-token'}.")
    console.print(
        f"Creators sign in at {urls[ServiceName.social]}/kreator/masuk with their handle (such "
        f"as rina.masak) and the password in {data_dir / 'creator-password'}."
    )
