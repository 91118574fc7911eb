"""Commerce's composition root: settings → engine → every commerce service, with no web
framework in sight (cosmicpython's bootstrap). The web app, `keranjang reconcile`, the tests and
the migration engine all build commerce here, so each service is wired one way only."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from keranjang.commerce import db
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
from keranjang.payments import PaymentPartner
from keranjang.payments.midtrans import MidtransPartner
from keranjang.payments.simulator_partner import SimulatorPartner
from keranjang.payments.xendit import XenditPartner


@dataclass(frozen=True)
class Commerce:
    """Every commerce service, built once from settings and sharing one engine and clock."""

    settings: CommerceSettings
    engine: Engine
    clock: Clock
    partner: PaymentPartner
    catalog: CommerceService
    buying: BuyingService
    paying: PayingService
    refunds: RefundService
    fulfilment: FulfilmentService
    invoices: InvoiceService
    settlement: SettlementService
    payouts: PayoutService
    reconciliation: ReconciliationService


def build(
    settings: CommerceSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: KeyLookup | None = None,
    partner: PaymentPartner | None = None,
    migrate: bool = True,
) -> Commerce:
    """Commerce from its settings; `clock`, `keys` and `partner` replace the real ones in tests."""
    settings = settings or CommerceSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(db.MIGRATIONS, engine)
    clock = clock or SystemClock()
    sessions = session_factory(engine)
    chosen = partner or default_partner(settings, clock)
    catalog = CommerceService(sessions, clock, keys or IssuerKeys(settings.social_jwks_url))
    refund_window = timedelta(days=settings.refund_window_days)
    refunds = RefundService(sessions, clock, chosen, refund_window)
    paying = PayingService(sessions, clock, chosen, settings.public_url)
    return Commerce(
        settings=settings,
        engine=engine,
        clock=clock,
        partner=chosen,
        catalog=catalog,
        buying=BuyingService(sessions, clock, checkout_settings(settings)),
        paying=paying,
        refunds=refunds,
        fulfilment=FulfilmentService(sessions, clock, refunds),
        invoices=InvoiceService(sessions),
        settlement=SettlementService(
            sessions, clock, timedelta(days=settings.auto_complete_days), refund_window
        ),
        payouts=PayoutService(sessions, clock, chosen.name),
        reconciliation=ReconciliationService(sessions, clock, chosen, paying, refunds),
    )


def checkout_settings(settings: CommerceSettings) -> CheckoutSettings:
    return CheckoutSettings(
        settings.shipping_idr,
        settings.hold_minutes,
        settings.attribution_window_days,
        settings.platform_fee_bp,
    )


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
