"""The legacy shop's reconciliation: it asks the payment partner how each payment of its orders
still awaiting one stands, and applies what it had no news of, through the very path a
notification takes (`PayingService.take`: once by the event's dedupe key, the seller's fence
and move respected).

Why the shop asks, rather than being told: a payment's notifications go where its creator
asked them to go. An order placed in commerce and taken back by a rollback keeps its payment
at the partner under the same ids (the rollback writes it to the app with them), but the
partner keeps sending that payment's news to commerce, which only notes it for an order it
returned. The app owns that payment now, so it asks the partner about it itself, by the
partner order id it got back. Nothing crosses between social and commerce (DESIGN.md section
2: they never talk about a buyer or an order), the migration need not be running or its
rollback window open, and a notification the partner dropped for one of the app's own
payments is closed the same way. The set asked is small by construction: an order awaits
payment only until its stock hold expires (`CheckoutService.release_expired_holds`, which
`run_jobs` runs after this, so a payment the partner settled is applied before its hold ends).

The other way, the migration carrying the news commerce noted across while the rollback
window is open, would make the app's money wait on a process and a window it does not own,
and would have the migration read commerce's record of a payment to write the app's.
"""

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from keranjang.payments import PaymentError, PaymentStatus, UnknownPayment
from keranjang.social.legacy_shop import db, domain
from keranjang.social.legacy_shop.domain import OrderStatus
from keranjang.social.legacy_shop.paying import PayingService

log = structlog.get_logger(__name__)
BATCH = 200


def awaiting(paying: PayingService, limit: int = BATCH) -> list[str]:
    """The partner order ids of the latest pending payment of each order awaiting payment."""
    p, o, later = db.PaymentRow, db.OrderRow, aliased(db.PaymentRow)
    latest = select(func.max(later.id)).where(later.order_id == p.order_id).scalar_subquery()
    query = (
        select(p.partner_order_id)
        .join(o, o.id == p.order_id)
        .where(
            o.status == OrderStatus.AWAITING_PAYMENT.value,
            p.id == latest,
            p.status == PaymentStatus.PENDING.value,
        )
        .order_by(p.id)
        .limit(limit)
    )
    with paying.sessions() as s:
        return list(s.scalars(query))


def reconcile(paying: PayingService) -> int:
    """Ask the partner about each payment still awaited; apply what changed. Answers how many
    orders it paid. A partner out of reach is asked again on the next run."""
    paid = 0
    for partner_order_id in awaiting(paying):
        try:
            event = paying.partner.status(partner_order_id)
        except UnknownPayment:
            continue  # never reached the partner: the buyer starts it again
        except PaymentError as exc:
            log.warning("legacy_reconcile_unreachable", order=partner_order_id, error=str(exc))
            continue
        if event.status is PaymentStatus.PENDING:
            continue
        try:
            paid += paying.take(event, confirmed=True) == "order paid"
        except domain.SellerFenced:
            continue  # the seller is moving: asked again once the fence lifts
    return paid
