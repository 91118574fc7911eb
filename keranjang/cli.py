"""The `keranjang` command: run the services, alone or all together, and seed a demo marketplace."""

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from keranjang.demo.seed import Seeder, SeedError, SeedSize, catalog_is_empty
from keranjang.infra import secret_files

if TYPE_CHECKING:
    from fastapi import FastAPI

    from keranjang.commerce.reconciliation import Report

app = typer.Typer(help="Keranjang: social commerce with promotion and transactions kept apart.")
console = Console()


class ServiceName(StrEnum):
    social = "social"
    commerce = "commerce"
    payments = "payments"


DEFAULT_PORTS = {ServiceName.social: 8001, ServiceName.commerce: 8002, ServiceName.payments: 8003}
DataDir = Annotated[
    Path, typer.Option(envvar="KERANJANG_DATA_DIR", help="Folder for SQLite files.")
]


def build_app(name: ServiceName, migrate: bool = True) -> "FastAPI":
    """Import only the part being served, so one process never holds both parts."""
    if name is ServiceName.social:
        from keranjang.social.app import create_app as social_app

        return social_app(migrate=migrate)
    if name is ServiceName.payments:
        from keranjang.payments.simulator.app import create_app as payments_app

        return payments_app(migrate=migrate)
    from keranjang.commerce.app import create_app as commerce_app

    return commerce_app(migrate=migrate)


SERVED = "KERANJANG_SERVED_SERVICE"


def _log_level(name: ServiceName) -> str:
    return os.environ.get(f"KERANJANG_{name.value.upper()}_LOG_LEVEL", "WARNING")


def worker_app() -> "FastAPI":
    """The app of one worker process of `serve --workers N` (uvicorn's factory): the parent has
    migrated the database already, and passes the service's name in the environment."""
    from keranjang.infra.observability import configure_logging

    name = ServiceName(os.environ[SERVED])
    configure_logging(_log_level(name))
    return build_app(name, migrate=False)


@app.command()
def serve(
    name: Annotated[ServiceName, typer.Argument(help="Which service to run.")],
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Processes serving the port (more than 1 needs PostgreSQL); periodic jobs run "
            "in one of them at a time.",
        ),
    ] = 1,
) -> None:
    """Run one service; settings come from KERANJANG_<SERVICE>_* environment variables."""
    import uvicorn

    from keranjang.infra.observability import MULTIPROCESS_DIR, configure_logging

    configure_logging(_log_level(name))
    web = build_app(name)  # checks the settings and migrates the database, once
    settings = web.state.settings
    served: dict[str, object] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        # Served directly, not behind a proxy: trust no forwarded headers.
        "proxy_headers": False,
        "server_header": False,
    }
    if workers == 1:
        uvicorn.run(web, **served)  # type: ignore[arg-type]
        return
    engine = web.state.engine
    if engine.dialect.name != "postgresql":
        console.print(
            f"[red]--workers {workers} needs PostgreSQL[/red]: SQLite takes one writer at a "
            f"time. Set KERANJANG_{name.value.upper()}_DATABASE_URL to a PostgreSQL database, or "
            "serve with one worker."
        )
        raise typer.Exit(2)
    engine.dispose()
    del web
    with tempfile.TemporaryDirectory(prefix=f"keranjang-{name.value}-metrics-") as metrics:
        # Each worker counts its requests in files here; /metrics adds them all up.
        os.environ[MULTIPROCESS_DIR] = metrics
        os.environ[SERVED] = name.value
        uvicorn.run(
            "keranjang.cli:worker_app",
            factory=True,
            workers=workers,
            **served,  # type: ignore[arg-type]
        )


def operator_token(data_dir: Path) -> str:
    """The operators' token for this data folder, created (mode 0600) on first use."""
    path = data_dir / "operator-token"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def payments_server_key(data_dir: Path) -> str:
    """The payment simulator's server key for this data folder, created (mode 0600) on first use."""
    return secret_files.load_or_create(data_dir / "payments-server-key")


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
        "KERANJANG_COMMERCE_HOST": host,
        "KERANJANG_COMMERCE_PORT": str(ports[ServiceName.commerce]),
        "KERANJANG_COMMERCE_PUBLIC_URL": commerce,
        "KERANJANG_COMMERCE_SOCIAL_URL": social,
        "KERANJANG_COMMERCE_ADMIN_TOKEN": token,
        "KERANJANG_COMMERCE_PAYMENTS_URL": f"http://{host}:{ports[ServiceName.payments]}",
        "KERANJANG_COMMERCE_PAYMENTS_SERVER_KEY": payments_server_key(data_dir),
        **payments_env(data_dir, host, ports[ServiceName.payments], token),
        "KERANJANG_PAYMENTS_NOTIFICATION_URL": f"{commerce}/payments/notifications",
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


def run_seed(social_url: str, commerce_url: str, token: str, size: SeedSize) -> None:
    with (
        httpx.Client(base_url=social_url, timeout=10) as social,
        httpx.Client(base_url=commerce_url, timeout=10) as commerce,
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("Seeding the demo marketplace", total=size.steps)
        seeded = Seeder(social, commerce, token, lambda n: progress.advance(task, n)).run(size)
    console.print(
        f"Seeded {seeded.merchants} shops, {len(seeded.products)} products, "
        f"{seeded.creators} creators, {seeded.content} videos and live sessions, {seeded.pins} pins."
    )


@app.command()
def up(
    data_dir: DataDir = Path(".keranjang"),
    host: Annotated[str, typer.Option(help="Interface every service binds.")] = "127.0.0.1",
    social_port: Annotated[int, typer.Option(envvar="KERANJANG_SOCIAL_PORT")] = 8001,
    commerce_port: Annotated[int, typer.Option(envvar="KERANJANG_COMMERCE_PORT")] = 8002,
    payments_port: Annotated[int, typer.Option(envvar="KERANJANG_PAYMENTS_PORT")] = 8003,
    seed: Annotated[
        bool, typer.Option(help="Seed a demo marketplace if the shop is empty.")
    ] = True,
) -> None:
    """Start every service on SQLite files in DATA_DIR, seed a demo marketplace, print the URLs."""
    data_dir = data_dir.resolve()
    token = operator_token(data_dir)
    ports = {
        ServiceName.social: social_port,
        ServiceName.commerce: commerce_port,
        ServiceName.payments: payments_port,
    }
    env = service_env(data_dir, host, ports, token)
    urls = {name: f"http://{host}:{port}" for name, port in ports.items()}
    procs = [
        subprocess.Popen([sys.executable, "-m", "keranjang", "serve", name.value], env=env)
        for name in ports
    ]
    try:
        wait_healthy(urls, procs, timeout=60)
        with httpx.Client(base_url=urls[ServiceName.commerce], timeout=10) as commerce:
            empty = catalog_is_empty(commerce)
        if seed and empty:
            run_seed(urls[ServiceName.social], urls[ServiceName.commerce], token, SeedSize())
        print_urls(urls, data_dir)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise RuntimeError("a service stopped; shutting the others down")
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


def print_urls(urls: dict[ServiceName, str], data_dir: Path) -> None:
    table = Table(title="Keranjang is running")
    table.add_column("service")
    table.add_column("URL")
    table.add_row("social (feed, yellow carts)", urls[ServiceName.social] + "/")
    table.add_row("commerce (shop)", urls[ServiceName.commerce] + "/")
    table.add_row("payment simulator", urls[ServiceName.payments] + "/")
    for name, url in urls.items():
        table.add_row(f"{name} API docs", url + "/docs")
    console.print(table)
    console.print(
        f"Data in {data_dir}. Operator token in {data_dir / 'operator-token'}. Ctrl-C stops."
    )
    console.print(f"Payment simulator server key in {data_dir / 'payments-server-key'}.")


@app.command(name="seed")
def seed_command(
    data_dir: DataDir = Path(".keranjang"),
    social_url: Annotated[
        str, typer.Option(envvar="KERANJANG_SOCIAL_PUBLIC_URL")
    ] = "http://127.0.0.1:8001",
    commerce_url: Annotated[
        str, typer.Option(envvar="KERANJANG_COMMERCE_PUBLIC_URL")
    ] = "http://127.0.0.1:8002",
    merchants: Annotated[int, typer.Option(min=1, max=10_000)] = 6,
    products_per_merchant: Annotated[int, typer.Option(min=1, max=1_000)] = 5,
    creators: Annotated[int, typer.Option(min=1, max=10_000)] = 5,
    content_per_creator: Annotated[int, typer.Option(min=1, max=100)] = 3,
    random_seed: Annotated[int, typer.Option(help="Same seed, same marketplace.")] = 2023,
) -> None:
    """Seed a demo marketplace into running services through their APIs (size adjustable)."""
    size = SeedSize(merchants, products_per_merchant, creators, content_per_creator, random_seed)
    try:
        run_seed(social_url, commerce_url, operator_token(data_dir.resolve()), size)
    except SeedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def reconcile(
    hours: Annotated[
        float | None,
        typer.Option(min=0.001, help="Only payments changed in the last HOURS (default: all)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Reconcile commerce's payments with the payment partner (settings from KERANJANG_COMMERCE_*):
    settle missed payments, retry refunds, and report what disagrees (exit code 1 if anything)."""
    log_to_stderr(os.environ.get("KERANJANG_COMMERCE_LOG_LEVEL", "WARNING"))
    web = build_app(ServiceName.commerce)
    try:
        report = web.state.reconciliation.run(None if hours is None else timedelta(hours=hours))
    finally:
        web.state.engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        print_reconciliation(report)
    if report.disagreements:
        raise typer.Exit(1)


def log_to_stderr(level: str) -> None:
    """Logs as a service writes them, but on stderr: stdout carries the command's answer."""
    import structlog

    from keranjang.infra.observability import configure_logging

    configure_logging(level)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def print_reconciliation(report: "Report") -> None:
    console.print(
        f"Checked {report.checked} payments: {report.settled} missed payments applied (orders "
        f"paid, or second payments owed back), {report.recorded} ended "
        f"payments recorded, {report.refunds_settled} refunds settled, "
        f"{report.unreachable} orders not answered for by the partner, {report.failed} "
        "failed to store (tried again next run)."
    )
    if not report.disagreements:
        console.print("[green]Commerce and the partner agree.[/green]")
        return
    table = Table(title=f"{len(report.disagreements)} disagreements (nothing was changed)")
    table.add_column("order")
    table.add_column("commerce says")
    table.add_column("the partner says")
    for d in report.disagreements:
        table.add_row(d.order_number, d.commerce, d.partner)
    console.print(table)
