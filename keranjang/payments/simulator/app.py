"""Composition of the payment simulator service."""

import random

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from keranjang.evidence.access import RegulatorReadsOnly
from keranjang.evidence.serving import TokenSource
from keranjang.infra import schema, secret_files
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.error_pages import use_error_page
from keranjang.infra.http_errors import error_json
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app, wants_json
from keranjang.payments.simulator import api, db, domain, evidence, pages, payouts_api
from keranjang.payments.simulator.config import PaymentsSettings
from keranjang.payments.simulator.notifier import HttpNotifier
from keranjang.payments.simulator.payouts import PayoutDesk
from keranjang.payments.simulator.service import SimulatorService


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    clock: Clock | None = None,
    notify_client: httpx.Client | None = None,
    rng: random.Random | None = None,
    migrate: bool = True,
) -> FastAPI:
    """`notify_client` carries notifications to the shop (inject one to deliver in-process)."""
    settings = settings or PaymentsSettings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    service = _service(settings, engine, clock, notify_client, rng)
    desk = PayoutDesk(service, settings.payout_notification_url, notify_client)
    shell = ServiceShell(
        name="payments",
        title="Keranjang payments",
        description="The payment simulator: a Midtrans-like partner with a pay page, signed "
        "notifications and switches to make them arrive duplicated, late, reordered, dropped "
        "or forged.",
        engine=engine,
        settings=settings,
        service=service,
        jobs=(
            # Without a notification URL only payments that named their own
            # (X-Override-Notification) are notified; the others' notifications wait.
            PeriodicJob("dispatch", settings.dispatch_every_seconds, service.dispatch_due),
            PeriodicJob("expire_overdue", settings.expire_every_seconds, service.expire_overdue),
            PeriodicJob("payouts", settings.dispatch_every_seconds, desk.run_due),
        ),
    )
    app = service_app(
        shell, api.router, payouts_api.iris, payouts_api.operator, pages.router, evidence.router
    )
    app.state.payouts = desk
    # The regulator's token reads evidence and writes nothing, on any route.
    app.state.regulator_token = TokenSource("payments", settings.data_dir)
    app.add_middleware(RegulatorReadsOnly, token=app.state.regulator_token)
    app.add_exception_handler(domain.SimulatorError, simulator_error)  # type: ignore[arg-type]
    use_error_page(app, pages.address_error_page)
    return app


def _service(
    settings: PaymentsSettings,
    engine: Engine,
    clock: Clock | None,
    notify_client: httpx.Client | None,
    rng: random.Random | None,
) -> SimulatorService:
    server_key = settings.server_key or secret_files.load_or_create(
        settings.resolved_server_key_file
    )
    return SimulatorService(
        session_factory(engine),
        clock or SystemClock(),
        server_key,
        HttpNotifier(settings.notification_url, notify_client),
        rng,
    )


def simulator_error(request: Request, exc: domain.SimulatorError) -> Response:
    """The API answers as Midtrans does (`status_code`, `status_message`); pages with a page."""
    if wants_json(request, "/v2/", "/admin/", "/iris/"):
        extra = {"status_code": str(exc.status), "status_message": str(exc), "code": exc.code}
        response = error_json(type(exc).__name__, str(exc), exc.status, **extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="payments"'
        return response
    return pages.error_page(request, exc)
