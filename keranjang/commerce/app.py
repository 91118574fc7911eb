"""Composition of the commerce service."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

from keranjang.commerce.bootstrap import Commerce, build
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.errors import CommerceError
from keranjang.commerce.web.api import attribution as attribution_api
from keranjang.commerce.web.api import catalog as catalog_api
from keranjang.commerce.web.api import claims as claims_api
from keranjang.commerce.web.api import creator_payouts
from keranjang.commerce.web.api import disbursements as disbursement_api
from keranjang.commerce.web.api import evidence as evidence_api
from keranjang.commerce.web.api import money as money_api
from keranjang.commerce.web.api import payouts as payout_api
from keranjang.commerce.web.api import seller as seller_api
from keranjang.commerce.web.api import shop as shop_api
from keranjang.commerce.web.errors import api_error
from keranjang.commerce.web.pages import browse as browse_pages
from keranjang.commerce.web.pages import buyer as buyer_pages
from keranjang.commerce.web.pages import claim as claim_pages
from keranjang.commerce.web.pages import seller as seller_pages
from keranjang.commerce.web.pages import shop as shop_pages
from keranjang.commerce.web.pages.seller import session as seller_session
from keranjang.commerce.web.rendering import shop_error_page
from keranjang.commerce.web.sessions import signing_secret
from keranjang.evidence.access import RegulatorReadsOnly
from keranjang.evidence.serving import TokenSource
from keranjang.handoff import KeyLookup
from keranjang.infra.clock import Clock
from keranjang.infra.error_pages import use_error_page
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
    shell = ServiceShell(
        name="commerce",
        title="Keranjang commerce",
        description="The shop back-end: merchants, catalog, hand-off landing and attribution.",
        engine=commerce.engine,
        settings=commerce.settings,
        service=commerce.catalog,
        jobs=jobs(commerce),
    )
    app = service_app(shell, *ROUTERS)
    signing_secret(commerce.settings)  # the cookies' secret file exists before the first request
    app.state.commerce = commerce  # read through web/deps.py only
    use_error_page(app, error_page)
    # The regulator's token reads evidence and writes nothing, on any route.
    app.state.regulator_token = TokenSource("commerce", commerce.settings.data_dir)
    app.add_middleware(RegulatorReadsOnly, token=app.state.regulator_token)

    # Every router answers its own refusals (web/errors.py); this catches what is raised
    # outside one (middleware, an unmatched route's dependency) in the API's shape.
    @app.exception_handler(CommerceError)
    def commerce_error(request: Request, exc: CommerceError) -> Response:
        return api_error(request, exc)

    return app


# Every router of commerce, the API's first (the seller center's pages mount under /seller).
ROUTERS = (
    catalog_api.router,
    attribution_api.router,
    creator_payouts.router,
    shop_api.router,
    claims_api.router,
    seller_api.router,
    money_api.router,
    payout_api.router,
    disbursement_api.router,
    evidence_api.router,
    browse_pages.router,
    shop_pages.router,
    buyer_pages.router,
    claim_pages.router,
    seller_pages.router,
)


def error_page(request: Request, status: int, heading: str, message: str) -> Response:
    """An unknown address: in the seller center's frame under /seller, else the shop's."""
    if request.url.path.startswith("/seller"):
        return seller_session.address_error_page(request, status, heading, message)
    return shop_error_page(request, status, heading, message)


def jobs(commerce: Commerce) -> tuple[PeriodicJob, ...]:
    """The periodic jobs (run by one process of the service at a time)."""
    s = commerce.settings
    return (
        *disbursing_jobs(commerce),
        PeriodicJob(
            "release_expired_holds", s.hold_release_seconds, commerce.buying.release_expired_holds
        ),
        PeriodicJob("settle_due_orders", s.settle_every_seconds, commerce.settlement.run_due),
        PeriodicJob("end_payments", s.end_payments_every_seconds, commerce.payment_ends.drain),
        PeriodicJob(
            "reconcile_payments",
            s.reconcile_every_seconds,
            lambda: commerce.reconciliation.run_recent().as_dict(),
        ),
    )


def disbursing_jobs(commerce: Commerce) -> tuple[PeriodicJob, ...]:
    """Sending payouts due and looking up those in transit, when a disbursement partner is set."""
    disbursing = commerce.disbursing
    if disbursing is None:
        return ()
    every = commerce.settings.disburse_every_seconds
    bank_refunds = commerce.bank_refunds

    def run() -> int:
        sent = bank_refunds.reconcile() if bank_refunds else []
        return len(sent) + len(disbursing.run_due())

    return (PeriodicJob("send_payouts", every, run),)
