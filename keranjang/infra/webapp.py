"""The web application shell every service shares: FastAPI with its state, the runtime tuning,
health and metrics. Each service's `app.py` adds its routers and maps its own errors."""

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import Engine, text

from keranjang import __version__
from keranjang.infra import observability, runtime
from keranjang.infra.leadership import JobLeader


@dataclass(frozen=True)
class ServiceShell:
    name: str
    title: str
    description: str
    engine: Engine
    settings: object
    service: object
    jobs: tuple[runtime.PeriodicJob, ...] = ()


def service_app(shell: ServiceShell, *routers: APIRouter) -> FastAPI:
    app = FastAPI(
        title=shell.title,
        version=__version__,
        description=shell.description,
        lifespan=runtime.lifespan(shell.jobs, JobLeader(shell.engine, shell.name)),
    )
    app.state.settings = shell.settings
    app.state.service = shell.service
    app.state.engine = shell.engine
    for router in routers:
        app.include_router(router)

    def ping() -> None:
        with shell.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def ready() -> None:
        # The same rule as every database-touching endpoint (runtime.call_blocking).
        await runtime.call_blocking(shell.engine.dialect.name, ping)

    observability.install(app, shell.name, ready)
    return app


def wants_json(request: Request, *api_prefixes: str) -> bool:
    """API paths, and any client that did not ask for HTML, get JSON errors; browsers get pages."""
    return request.url.path.startswith(api_prefixes) or "text/html" not in request.headers.get(
        "accept", ""
    )
