"""`keranjang serve NAME`: one service, alone or on several worker processes."""

import os
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer

from keranjang.cli.shared import ServiceName, console, log_level

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer()

SERVED = "KERANJANG_SERVED_SERVICE"


def build_app(name: ServiceName, migrate: bool = True) -> "FastAPI":
    """Import only the part being served, so one process never holds both parts."""
    if name is ServiceName.social:
        from keranjang.social.app import create_app as social_app

        return social_app(migrate=migrate)
    if name is ServiceName.payments:
        from keranjang.payments.simulator.app import create_app as payments_app

        return payments_app(migrate=migrate)
    if name is ServiceName.migration:
        from keranjang.migration.app import create_app as migration_app

        return migration_app(migrate=migrate)
    if name is ServiceName.oversight:
        from keranjang.oversight.app import create_app as oversight_app

        return oversight_app(migrate=migrate)
    from keranjang.commerce.app import create_app as commerce_app

    return commerce_app(migrate=migrate)


def worker_app() -> "FastAPI":
    """The app of one worker process of `serve --workers N` (uvicorn's factory): the parent has
    migrated the database already, and passes the service's name in the environment."""
    from keranjang.infra.logs import configure_logging

    name = ServiceName(os.environ[SERVED])
    configure_logging(log_level(name))
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

    from keranjang.infra.logs import configure_logging

    configure_logging(log_level(name))
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
    refuse_sqlite(engine.dialect.name, name, workers)
    engine.dispose()
    del web  # each worker builds its own
    serve_workers(name, workers, served)


def refuse_sqlite(dialect: str, name: ServiceName, workers: int) -> None:
    if dialect != "postgresql":
        console.print(
            f"[red]--workers {workers} needs PostgreSQL[/red]: SQLite takes one writer at a "
            f"time. Set KERANJANG_{name.value.upper()}_DATABASE_URL to a PostgreSQL database, or "
            "serve with one worker."
        )
        raise typer.Exit(2)


def serve_workers(name: ServiceName, workers: int, served: dict[str, object]) -> None:
    """Several processes on one port, each building its app with `worker_app`."""
    import uvicorn

    from keranjang.infra.observability import MULTIPROCESS_DIR

    with tempfile.TemporaryDirectory(prefix=f"keranjang-{name.value}-metrics-") as metrics:
        # Each worker counts its requests in files here; /metrics adds them all up.
        os.environ[MULTIPROCESS_DIR] = metrics
        os.environ[SERVED] = name.value
        uvicorn.run(
            "keranjang.cli.serve:worker_app",
            factory=True,
            workers=workers,
            **served,  # type: ignore[arg-type]
        )
