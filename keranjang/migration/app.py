"""Composition of the migration service (:8005): the journal's database, the service, the
operator's pages and API, the regulator's evidence, and two periodic jobs: progress snapshots,
and (when `KERANJANG_MIGRATION_RUN_EVERY_SECONDS` is set) rounds of a worker that advances the
plan in-process, so a demo moves by itself. The jobs run in one process of the service at a time."""

from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.exc import DBAPIError, OperationalError

from keranjang.evidence.access import RegulatorReadsOnly
from keranjang.evidence.tokens import regulator_token
from keranjang.infra import schema
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.error_pages import use_error_page
from keranjang.infra.http_errors import error_json
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app, wants_json
from keranjang.migration import api, errors, pages
from keranjang.migration import progress as rules
from keranjang.migration.config import MigrationSettings
from keranjang.migration.journal import MIGRATIONS
from keranjang.migration.service import MigrationService, Mover, Parts
from keranjang.migration.workers import ENGINE_FACTORY, Journal, Rules, Worker, load_factory

log = structlog.get_logger(__name__)
RETRY_AFTER = "5"


class ServiceSettings(MigrationSettings):
    """The service's own settings, beside the migration's."""

    # Rounds of an in-process worker (0: off, the default; `keranjang migrate run` moves).
    run_every_seconds: float = Field(default=0.0, ge=0)
    # How long one round may work before it lets the next job run.
    round_seconds: float = Field(default=10.0, gt=0)
    snapshot_every_seconds: float = Field(default=60.0, ge=0)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    clock: Clock | None = None,
    mover: Mover | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or ServiceSettings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(MIGRATIONS, engine)
    clock = clock or SystemClock()
    parts = Parts(
        journal=session_factory(engine),
        clock=clock,
        social=make_engine(settings.resolved_social_url),
        mover=mover if mover is not None else engine_mover(settings),
        weights=rules.Weights(
            settings.weight_payment, settings.weight_data, settings.weight_operations
        ),
        rollback_window=timedelta(days=settings.rollback_window_days),
    )
    service = MigrationService(parts)
    shell = ServiceShell(
        name="migration",
        title="Keranjang migration",
        description="Moves live merchants out of the app's in-app shop into commerce, with "
        "progress per category for operators and read-only evidence for the regulator.",
        engine=engine,
        settings=settings,
        service=service,
        jobs=jobs(settings, service),
    )
    app = service_app(shell, api.api, api.regulator, pages.router)
    data_dir = Path(settings.data_dir)
    app.state.regulator_token = lambda: (
        settings.regulator_token or regulator_token("migration", data_dir)
    )
    app.add_middleware(RegulatorReadsOnly, token=app.state.regulator_token)
    app.add_exception_handler(errors.MigrationError, migration_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, database_away)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, database_away)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    use_error_page(
        app, lambda request, status, _heading, message: pages.error_page(request, status, message)
    )
    return app


def engine_mover(settings: MigrationSettings) -> Mover | None:
    """The real engine, where it can be built here; without it the service reports only."""
    try:
        return load_factory(ENGINE_FACTORY)(settings)
    except (ImportError, AttributeError) as exc:
        log.warning("migration_engine_unavailable", error=str(exc))
        return None


def jobs(settings: ServiceSettings, service: MigrationService) -> tuple[PeriodicJob, ...]:
    every = timedelta(seconds=settings.snapshot_every_seconds)
    snapshot = PeriodicJob(
        "snapshot", settings.snapshot_every_seconds, lambda: service.snapshot(every)
    )
    if settings.run_every_seconds <= 0 or service.parts.mover is None:
        return (snapshot,)
    rules_ = Rules(lease=timedelta(seconds=settings.lease_seconds))
    journal = Journal(service.parts.journal, service.parts.clock, rules_)
    worker = Worker("service", journal, service.parts.mover)

    planned: list[bool] = []

    def round_() -> int:
        """Move merchants for up to `round_seconds`; the next round goes on. The first round
        plans the sellers not planned yet (the demo plans itself)."""
        if not planned:
            service.plan()
            planned.append(True)
        deadline = service.parts.clock.now() + timedelta(seconds=settings.round_seconds)
        moved = 0
        while service.parts.clock.now() < deadline and worker.run_once():
            moved += 1
        return moved

    return (snapshot, PeriodicJob("advance", settings.run_every_seconds, round_))


def migration_error(request: Request, exc: errors.MigrationError) -> Response:
    status = api.status_of(exc)
    if wants_json(request, "/api/", "/evidence/"):
        return error_json(type(exc).__name__, str(exc), status, code=exc.code)
    return pages.error_page(request, status, str(exc))


def database_away(request: Request, exc: DBAPIError) -> Response:
    """A database that stays away: 503 with Retry-After, never a 500 (nor its message)."""
    log.warning("migration_database_error", error=str(exc.orig)[:200])
    message = "the migration's databases cannot be reached now; try again shortly"
    response: Response
    if wants_json(request, "/api/", "/evidence/"):
        response = error_json("Unavailable", message, 503)
    else:
        response = pages.error_page(request, 503, message)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def http_error(request: Request, exc: HTTPException) -> Response:
    response: Response
    if wants_json(request, "/api/", "/evidence/"):
        response = error_json("Refused", str(exc.detail), exc.status_code)
    elif exc.status_code in (302, 303):
        response = Response(status_code=exc.status_code)
    else:
        response = pages.error_page(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response
