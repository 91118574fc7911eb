"""Commerce's composition root: settings → engine → every commerce service, with no web
framework in sight (cosmicpython's bootstrap). The web app, `keranjang reconcile`, the tests and
the migration engine all build commerce here, so each service is wired one way only."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.attribution.issuer_keys import IssuerKeys
from keranjang.commerce.attribution.service import AttributionService
from keranjang.commerce.buying.accounts import AccountService
from keranjang.commerce.buying.service import BuyingService, CheckoutSettings
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.money.bank_refunds import BankRefundService
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.commerce.money.earnings import CreatorEarningsService
from keranjang.commerce.money.invoices import InvoiceService
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.payment_ends import PaymentEndingService
from keranjang.commerce.money.payout_accounts import PayoutAccountService
from keranjang.commerce.money.payouts import PayoutService
from keranjang.commerce.money.reconciliation import ReconciliationService
from keranjang.commerce.money.refunding import RefundService
from keranjang.commerce.money.settlement import SettlementService
from keranjang.commerce.orders.service import FulfilmentService
from keranjang.commerce.tables import MIGRATIONS
from keranjang.handoff import KeyLookup
from keranjang.infra import schema, secret_files
from keranjang.infra.clock import Clock, SystemClock
from keranjang.infra.database import make_engine, session_factory
from keranjang.payments import PartnerChoice, PaymentPartner, partner_from_settings
from keranjang.payments.disbursement_choice import DisburserChoice, disburser_from_settings
from keranjang.payments.disbursements import DisbursementPartner


@dataclass(frozen=True)
class Commerce:
    """Every commerce service, built once from settings and sharing one engine and clock."""

    settings: CommerceSettings
    engine: Engine
    clock: Clock
    partner: PaymentPartner
    catalog: CatalogService
    attribution: AttributionService
    buying: BuyingService
    accounts: AccountService
    paying: PayingService
    refunds: RefundService
    fulfilment: FulfilmentService
    invoices: InvoiceService
    settlement: SettlementService
    payouts: PayoutService
    reconciliation: ReconciliationService
    payout_accounts: PayoutAccountService
    payment_ends: PaymentEndingService
    disbursing: DisbursingService | None = None
    bank_refunds: BankRefundService | None = None


def build(
    settings: CommerceSettings | None = None,
    *,
    clock: Clock | None = None,
    keys: KeyLookup | None = None,
    partner: PaymentPartner | None = None,
    disburser: DisbursementPartner | None = None,
    migrate: bool = True,
) -> Commerce:
    """Commerce from its settings; the keyword arguments replace the real ones in tests."""
    settings = settings or CommerceSettings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(MIGRATIONS, engine)
    clock = clock or SystemClock()
    sessions = session_factory(engine)
    chosen = partner or default_partner(settings, clock)
    catalog = CatalogService(sessions, clock)
    keys = keys or IssuerKeys(settings.social_jwks_url)
    earnings = CreatorEarningsService(sessions)
    attribution = AttributionService(sessions, clock, keys, catalog, earnings)
    refund_window = timedelta(days=settings.refund_window_days)
    refunds = RefundService(sessions, clock, chosen, refund_window)
    paying = PayingService(sessions, clock, chosen, settings.public_url)
    out = _money_out(settings, sessions, clock, disburser, refunds)
    payment_ends = PaymentEndingService(sessions, clock, chosen, paying)
    buying, fulfilment = _ordering(settings, sessions, clock, refunds, payment_ends)
    return Commerce(
        settings=settings,
        engine=engine,
        clock=clock,
        partner=chosen,
        catalog=catalog,
        attribution=attribution,
        buying=buying,
        accounts=AccountService(sessions, clock),
        paying=paying,
        refunds=refunds,
        fulfilment=fulfilment,
        invoices=InvoiceService(sessions),
        settlement=SettlementService(
            sessions, clock, timedelta(days=settings.auto_complete_days), refund_window
        ),
        payouts=PayoutService(sessions, clock, chosen.name),
        reconciliation=ReconciliationService(sessions, clock, chosen, paying, refunds),
        payout_accounts=out.accounts,
        payment_ends=payment_ends,
        disbursing=out.disbursing,
        bank_refunds=out.bank_refunds,
    )


def _ordering(
    settings: CommerceSettings,
    sessions: sessionmaker[Session],
    clock: Clock,
    refunds: RefundService,
    payment_ends: PaymentEndingService,
) -> tuple[BuyingService, FulfilmentService]:
    """Checkout and fulfilment, each ending the payments of the orders it ends unpaid."""
    buying = BuyingService(sessions, clock, checkout_settings(settings))
    fulfilment = FulfilmentService(sessions, clock, refunds)
    buying.payment_ends = fulfilment.payment_ends = payment_ends
    return buying, fulfilment


@dataclass(frozen=True)
class MoneyOut:
    accounts: PayoutAccountService
    disbursing: DisbursingService | None
    bank_refunds: BankRefundService | None


def _money_out(
    settings: CommerceSettings,
    sessions: sessionmaker[Session],
    clock: Clock,
    disburser: DisbursementPartner | None,
    refunds: RefundService,
) -> MoneyOut:
    """Payout accounts, payouts sent and bank-transfer refunds, through the disbursement
    partner when one is configured (accounts then checked with it); else accounts only."""
    disbursing = _disbursing(settings, sessions, clock, disburser)
    if disbursing is None:
        return MoneyOut(PayoutAccountService(sessions, clock), None, None)
    bank_refunds = BankRefundService(sessions, clock, disbursing.partner, refunds)
    refunds.transfers = bank_refunds
    accounts = PayoutAccountService(sessions, clock, disbursing.partner)
    return MoneyOut(accounts, disbursing, bank_refunds)


def _disbursing(
    settings: CommerceSettings,
    sessions: sessionmaker[Session],
    clock: Clock,
    disburser: DisbursementPartner | None,
) -> DisbursingService | None:
    chosen = disburser or disburser_from_settings(
        DisburserChoice(
            settings.disbursement_partner,
            settings.xendit_secret_key,
            settings.xendit_callback_token,
            settings.iris_creator_key,
            settings.iris_merchant_key,
            settings.midtrans_production,
            settings.iris_url,
            settings.payments_url,
            _simulator_key(settings),
        )
    )
    if chosen is None:
        return None
    cooling_off = timedelta(hours=settings.payout_cooling_off_hours)
    return DisbursingService(sessions, clock, chosen, cooling_off)


def checkout_settings(settings: CommerceSettings) -> CheckoutSettings:
    return CheckoutSettings(
        settings.shipping_idr,
        settings.hold_minutes,
        settings.attribution_window_days,
        settings.platform_fee_bp,
    )


def _simulator_key(settings: CommerceSettings) -> str | None:
    if settings.payments_server_key or settings.disbursement_partner != "simulator":
        return settings.payments_server_key
    return secret_files.load_or_create(settings.data_dir / "payments-server-key")


def default_partner(settings: CommerceSettings, clock: Clock) -> PaymentPartner:
    """The configured partner, built by payments. The simulator takes its server key from
    settings or the data folder's key file (the one `keranjang up` gives it); Midtrans and Xendit
    need their keys (a missing one is a ValueError naming the setting)."""
    simulator_key = settings.payments_server_key
    if settings.payments_partner == "simulator" and not simulator_key:
        simulator_key = secret_files.load_or_create(settings.data_dir / "payments-server-key")
    choice = PartnerChoice(
        kind=settings.payments_partner,
        simulator_url=settings.payments_url,
        simulator_server_key=simulator_key,
        midtrans_server_key=settings.midtrans_server_key,
        midtrans_production=settings.midtrans_production,
        xendit_secret_key=settings.xendit_secret_key,
        xendit_callback_token=settings.xendit_callback_token,
    )
    return partner_from_settings(choice, clock)
