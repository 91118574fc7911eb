"""Composition of the commerce service."""

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import Response
from itsdangerous import TimestampSigner

from keranjang.commerce import (
    api,
    buyer_pages,
    db,
    domain,
    money_api,
    pages,
    payout_api,
    seller_api,
    seller_pages,
    shop_api,
)
from keranjang.commerce.checkout import BuyingService, CheckoutSettings
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.fulfilment import FulfilmentService
from keranjang.commerce.invoices import InvoiceService
from keranjang.commerce.issuer_keys import IssuerKeys
from keranjang.commerce.paying import PayingService
from keranjang.commerce.payouts import PayoutService
from keranjang.commerce.reconciliation import ReconciliationService
from keranjang.commerce.refunding import RefundService
from keranjang.commerce.service import CommerceService
from keranjang.commerce.settlement import SettlementService
from keranjang.handoff import KeyLookup
from keranjang.infra import schema, secret_files
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.infra.http_errors import error_json
from keranjang.infra.runtime import PeriodicJob
from keranjang.infra.webapp import ServiceShell, service_app, wants_json
from keranjang.payments import PaymentPartner
from keranjang.payments.midtrans import MidtransPartner
from keranjang.payments.simulator_partner import SimulatorPartner
from keranjang.payments.xendit import XenditPartner


def default_partner(settings: CommerceSettings, clock: Clock) -> PaymentPartner:
    """The configured partner. The simulator takes its server key from settings or the data
    folder's key file (the one `keranjang up` gives it); Midtrans and Xendit need their keys."""
    if settings.payments_partner == "midtrans":
        if not settings.midtrans_server_key:
            raise ValueError("set KERANJANG_COMMERCE_MIDTRANS_SERVER_KEY to pay through Midtrans")
        return MidtransPartner(
            settings.midtrans_server_key, sandbox=not settings.midtrans_production, clock=clock
        )
    if settings.payments_partner == "xendit":
        if not (settings.xendit_secret_key and settings.xendit_callback_token):
            raise ValueError(
                "set KERANJANG_COMMERCE_XENDIT_SECRET_KEY and KERANJANG_COMMERCE_XENDIT_CALLBACK_TOKEN "
                "to pay through Xendit"
            )
        return XenditPartner(
            settings.xendit_secret_key, settings.xendit_callback_token, clock=clock
        )
    key = settings.payments_server_key or secret_files.load_or_create(
        settings.data_dir / "payments-server-key"
    )
    return SimulatorPartner(settings.payments_url, key)


def create_app(
    settings: CommerceSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: KeyLookup | None = None,
    partner: PaymentPartner | None = None,
    migrate: bool = True,
) -> FastAPI:
    settings = settings or CommerceSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    service = CommerceService(
        session_factory(engine),
        clock or SystemClock(),
        keys or IssuerKeys(settings.social_jwks_url),
    )
    buying = BuyingService(
        service.sessions,
        service.clock,
        CheckoutSettings(
            settings.shipping_idr,
            settings.hold_minutes,
            settings.attribution_window_days,
            settings.platform_fee_bp,
        ),
    )
    settlement = SettlementService(
        service.sessions,
        service.clock,
        timedelta(days=settings.auto_complete_days),
        timedelta(days=settings.refund_window_days),
    )
    shell = ServiceShell(
        name="commerce",
        title="Keranjang commerce",
        description="The shop back-end: merchants, catalog, hand-off landing and attribution.",
        engine=engine,
        settings=settings,
        service=service,
        jobs=(
            PeriodicJob(
                "release_expired_holds", settings.hold_release_seconds, buying.release_expired_holds
            ),
            PeriodicJob("settle_due_orders", settings.settle_every_seconds, settlement.run_due),
            # The reconciliation service is built below, with the partner.
            PeriodicJob(
                "reconcile_payments",
                settings.reconcile_every_seconds,
                lambda: app.state.reconciliation.run_recent().as_dict(),
            ),
        ),
    )
    app = service_app(
        shell,
        api.router,
        shop_api.router,
        seller_api.router,
        money_api.router,
        payout_api.router,
        pages.router,
        buyer_pages.router,
    )
    app.include_router(seller_pages.router)
    app.state.seller_sessions = seller_pages.session_serializer(settings)
    app.state.buying = buying
    app.state.attribution_signer = TimestampSigner(
        settings.secret_key
        or secret_files.load_or_create(settings.data_dir / "commerce-secret-key"),
        salt="keranjang.attribution",
    )
    chosen = partner or default_partner(settings, service.clock)
    refund_window = timedelta(days=settings.refund_window_days)
    app.state.refunds = RefundService(service.sessions, service.clock, chosen, refund_window)
    app.state.fulfilment = FulfilmentService(service.sessions, service.clock, app.state.refunds)
    app.state.invoices = InvoiceService(service.sessions)
    app.state.paying = PayingService(service.sessions, service.clock, chosen, settings.public_url)
    app.state.settlement = settlement
    app.state.payouts = PayoutService(
        service.sessions, service.clock, app.state.paying.partner.name
    )
    app.state.reconciliation = ReconciliationService(
        service.sessions, service.clock, chosen, app.state.paying, app.state.refunds
    )

    @app.exception_handler(domain.CommerceError)
    def commerce_error(request: Request, exc: domain.CommerceError) -> Response:
        if wants_json(request, "/api/", "/catalog/", "/attribution/"):
            extra = {"reason": exc.reason} if isinstance(exc, domain.HandoffRefused) else {}
            return error_json(type(exc).__name__, str(exc), exc.status, **extra)
        return pages.error_page(request, exc)

    return app
