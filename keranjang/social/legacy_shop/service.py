"""The legacy shop's use cases, put together: one object per feature over one database, one
clock and one payment partner. Social's app composition builds it (and only it mounts the
shop); the pages and the API call the features."""

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.payments import PaymentPartner
from keranjang.social.legacy_shop import changes, evidence, reconciling  # noqa: F401  (changes: its table joins the metadata)
from keranjang.social.legacy_shop.buying import BuyingService
from keranjang.social.legacy_shop.catalog import ShopCatalog
from keranjang.social.legacy_shop.checkout import CheckoutService, Rules
from keranjang.social.legacy_shop.moving import MovingService
from keranjang.social.legacy_shop.paying import PayingService
from keranjang.social.legacy_shop.selling import SellingService


@dataclass(frozen=True)
class ShopRules(Rules):
    complete_after_days: int = 3


@dataclass(frozen=True)
class LegacyShop:
    sessions: sessionmaker[Session]
    selling: SellingService
    buying: BuyingService
    checkout: CheckoutService
    paying: PayingService
    catalog: ShopCatalog
    moving: MovingService

    def buyer_data_counts(self) -> evidence.BuyerDataCounts:
        return evidence.buyer_data_counts(self.sessions)

    def run_jobs(self) -> dict[str, int]:
        """The shop's periodic work: payments awaited asked of the partner (`reconciling`),
        unpaid holds released, delivered orders completed, refunds asked again."""
        return {
            "reconciled": reconciling.reconcile(self.paying),
            "expired": self.checkout.release_expired_holds(),
            "completed": self.buying.complete_due(),
            "refunded": self.paying.ask_refunds(),
        }


def build(
    sessions: sessionmaker[Session], clock: Clock, partner: PaymentPartner, rules: ShopRules
) -> LegacyShop:
    paying = PayingService(sessions, clock, partner)
    return LegacyShop(
        sessions=sessions,
        selling=SellingService(sessions, clock, paying),
        buying=BuyingService(sessions, clock, rules.complete_after_days),
        checkout=CheckoutService(sessions, clock, rules),
        paying=paying,
        catalog=ShopCatalog(sessions),
        moving=MovingService(sessions, clock),
    )
