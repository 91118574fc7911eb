"""Composition of the commerce service."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from itsdangerous import TimestampSigner

from keranjang.commerce.bootstrap import build
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.errors import CommerceError
from keranjang.commerce.web.api import catalog as catalog_api
from keranjang.commerce.web.api import money as money_api
from keranjang.commerce.web.api import payouts as payout_api
from keranjang.commerce.web.api import seller as seller_api
from keranjang.commerce.web.api import shop as shop_api
from keranjang.commerce.web.errors import api_error
from keranjang.commerce.web.pages import buyer as buyer_pages
from keranjang.commerce.web.pages import seller as seller_pages
from keranjang.commerce.web.pages import shop as shop_pages
from keranjang.handoff import KeyLookup
from keranjang.infra import secret_files
from keranjang.infra.clock import Clock
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app
from keranjang.payments import PaymentPartner


def create_app(
    settings: CommerceSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: KeyLookup | None = None,
    partner: PaymentPartner | None = None,
    migrate: bool = True,
) -> FastAPI:
    commerce = build(settings, clock=clock, keys=keys, partner=partner, migrate=migrate)
    settings = commerce.settings
    shell = ServiceShell(
        name="commerce",
        title="Keranjang commerce",
        description="The shop back-end: merchants, catalog, hand-off landing and attribution.",
        engine=commerce.engine,
        settings=settings,
        service=commerce.catalog,
        jobs=(
            PeriodicJob(
                "release_expired_holds",
                settings.hold_release_seconds,
                commerce.buying.release_expired_holds,
            ),
            PeriodicJob(
                "settle_due_orders", settings.settle_every_seconds, commerce.settlement.run_due
            ),
            PeriodicJob(
                "reconcile_payments",
                settings.reconcile_every_seconds,
                lambda: commerce.reconciliation.run_recent().as_dict(),
            ),
        ),
    )
    app = service_app(
        shell,
        catalog_api.router,
        shop_api.router,
        seller_api.router,
        money_api.router,
        payout_api.router,
        shop_pages.router,
        buyer_pages.router,
    )
    app.include_router(seller_pages.router)
    app.state.seller_sessions = seller_pages.session_serializer(settings)
    app.state.commerce = commerce
    app.state.buying = commerce.buying
    app.state.attribution_signer = TimestampSigner(
        settings.secret_key
        or secret_files.load_or_create(settings.data_dir / "commerce-secret-key"),
        salt="keranjang.attribution",
    )
    app.state.refunds = commerce.refunds
    app.state.fulfilment = commerce.fulfilment
    app.state.invoices = commerce.invoices
    app.state.paying = commerce.paying
    app.state.settlement = commerce.settlement
    app.state.payouts = commerce.payouts
    app.state.reconciliation = commerce.reconciliation

    # Every router answers its own refusals (web/errors.py); this catches what is raised
    # outside one (middleware, an unmatched route's dependency) in the API's shape.
    @app.exception_handler(CommerceError)
    def commerce_error(request: Request, exc: CommerceError) -> Response:
        return api_error(exc)

    return app
