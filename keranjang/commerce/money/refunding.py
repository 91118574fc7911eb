"""Refunds, full and partial, through the payment partner.

A refund is three steps, because a network call never runs inside a transaction:
1. reserve: one transaction checks what is still refundable, counts the goods as refunded so no
   concurrent refund can take them too, and stores the refund as `requested` with a fresh key;
2. ask the partner, with that key (asking again with it is the same refund, never a second);
3. settle: one transaction marks it `succeeded`, posts the ledger's reversal and, once nothing
   is left, ends the order; or, if the partner refused, marks it `failed` and gives the goods
   back. If the partner could not be reached the refund stays `requested`, and reconciliation
   asks again with the same key.
"""

import json
import secrets
from datetime import timedelta
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import (
    Conflict,
    NotFound,
    OrderChanged,
    RefundRefused,
)
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.domain import RefundLine, RefundStage, RefundStatus, RefundView
from keranjang.commerce.money.payment_news import paid_through
from keranjang.commerce.money.refund_asks import RefundAsk, planned
from keranjang.commerce.money.settlement import refund_in_flight, settled_refunds, settled_split
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import TRANSITIONS, Move, OrderStatus
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.payments import PartnerUnavailable, PaymentError, PaymentPartner, RefundRequest

log = structlog.get_logger(__name__)
REFUNDABLE = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)


class TransferRefunds(Protocol):
    """Returns a bank-transfer payment by disbursement to the buyer's account (`bank_refunds`),
    filled in by bootstrap when a disbursement partner is configured."""

    def take(self, refund_id: int) -> RefundView: ...


class RefundService:
    # A virtual-account payment cannot be refunded through the partner's refund API: with a
    # disbursement partner, such refunds go to the buyer's bank account instead.
    transfers: TransferRefunds | None = None

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        partner: PaymentPartner,
        refund_window: timedelta,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.partner = partner
        self.refund_window = refund_window

    def refund_and_cancel(self, order_id: int, merchant_id: int, reason: str) -> None:
        """A paid order's merchant cancel: everything refunded, then the order cancelled."""
        ask = RefundAsk(
            order_id, f"merchant:{merchant_id}", reason, then_status=OrderStatus.CANCELLED
        )
        self.refund(ask, merchant_id)

    def in_flight(self, s: Session, order_id: int) -> bool:
        return refund_in_flight(s, order_id)

    def refund(self, ask: RefundAsk, merchant_id: int | None = None) -> RefundView:
        """Refund through the partner; `merchant_id` limits it to that shop's orders. Answers
        the refund: `succeeded`, or `requested` when the partner could not be reached yet."""
        refund_id = self._reserve(ask, merchant_id)
        return self.settle(refund_id)

    def refunds_of(self, order_id: int, merchant_id: int | None = None) -> list[RefundView]:
        with self.sessions() as s:
            _order(s, order_id, merchant_id)
            rows = s.scalars(
                select(money_db.RefundRow)
                .where(money_db.RefundRow.order_id == order_id)
                .order_by(money_db.RefundRow.id)
            )
            return [refund_view(r) for r in rows]

    def settle(self, refund_id: int) -> RefundView:
        """Ask the partner for a requested refund (again, with its key) and record the answer."""
        with self.sessions() as s:
            row = s.get_one(money_db.RefundRow, refund_id)
            if row.status != RefundStatus.REQUESTED:
                return refund_view(row)
            order = s.get_one(order_db.OrderRow, row.order_id)
            payment = s.scalar(
                select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order.id)
            )
            paid_at = paid_through(payment, order.number) if payment else order.number
            target = row.partner_order_id or paid_at
            request = RefundRequest(target, row.refund_key, row.amount_idr, row.reason)
            by_transfer = _by_transfer(payment, row) and self.transfers is not None
        if by_transfer and self.transfers is not None:
            return self.transfers.take(refund_id)
        try:
            result = self.partner.refund(request)
        except PartnerUnavailable as exc:
            return self._still_requested(refund_id, str(exc))
        except PaymentError as exc:
            self._failed(refund_id, str(exc))
            raise RefundRefused(f"the payment partner refused the refund: {exc}") from exc
        return self._succeeded(refund_id, result.partner_refund_id)

    def transferred(self, refund_id: int, transfer_id: str) -> RefundView:
        """A refund's money reached the buyer's bank account: settled as a partner refund is."""
        return self._succeeded(refund_id, transfer_id)

    def view(self, refund_id: int) -> RefundView:
        with self.sessions() as s:
            return refund_view(s.get_one(money_db.RefundRow, refund_id))

    def settle_requested(self) -> int:
        """Ask again for every refund still `requested` (reconciliation runs this)."""
        with self.sessions() as s:
            ids = list(
                s.scalars(
                    select(money_db.RefundRow.id)
                    .where(money_db.RefundRow.status == RefundStatus.REQUESTED)
                    .order_by(money_db.RefundRow.id)
                )
            )
        settled = 0
        for refund_id in ids:
            try:
                settled += self.settle(refund_id).status == RefundStatus.SUCCEEDED
            except RefundRefused:
                continue
        return settled

    # the three steps ----------------------------------------------------------------------------
    def _reserve(self, ask: RefundAsk, merchant_id: int | None) -> int:
        now = self.clock.now()
        with transaction(self.sessions) as s:
            order = _order(s, ask.order_id, merchant_id, lock=True)
            self._check_refundable(s, order)
            if ask.then_status == OrderStatus.CANCELLED and order.status != OrderStatus.PAID.value:
                # Shipped since the cancel was asked for: the goods are on their way.
                raise OrderChanged(
                    f"order {order.number} is {order.status} now: only a paid order not yet "
                    "shipped can be cancelled; refund what comes back instead",
                    code="cancel_only_unshipped",
                    params={"number": order.number},
                )
            by_product, quantities, shipping, amount = planned(s, order, ask)
            for product_id, quantity in quantities.items():
                by_product[product_id].refunded_quantity += quantity
            order.refunded_shipping_idr += shipping
            ends = order.refunded_shipping_idr == order.shipping_idr and all(
                line.refunded_quantity == line.quantity for line in by_product.values()
            )
            row = money_db.RefundRow(
                order_id=order.id,
                refund_key="rf-" + secrets.token_hex(12),
                amount_idr=amount,
                shipping_idr=shipping,
                lines=json.dumps({str(p): q for p, q in quantities.items()}),
                reason=ask.reason.strip()[:500],
                actor=ask.actor[:40],
                stage=RefundStage.SHARES if order.completed_at else RefundStage.ESCROW,
                then_status=ask.then_status.value if ends else None,
                status=RefundStatus.REQUESTED,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return row.id

    def preview(self, ask: RefundAsk, merchant_id: int | None = None) -> int:
        """What `refund` would return to the buyer for this ask, in rupiah, changing nothing;
        raises what `refund` would for an ask it would refuse."""
        with self.sessions() as s:
            order = _order(s, ask.order_id, merchant_id)
            self._check_refundable(s, order)
            return planned(s, order, ask)[3]

    def _check_refundable(self, s: Session, order: order_db.OrderRow) -> None:
        status = OrderStatus(order.status)
        if status not in REFUNDABLE:
            raise Conflict(
                f"order {order.number} is {status.value}: there is no payment to refund",
                code="nothing_paid_to_refund",
                params={"number": order.number},
            )
        if order.completed_at is not None and not money_db.posted(s, f"completion:{order.id}"):
            # Completed in the old in-app shop before its merchant moved: its shares were
            # settled there and opened here as balances, so there is nothing to take back from.
            raise Conflict(
                f"order {order.number} was completed in the old in-app shop, which settled its "
                "money: it cannot be refunded here",
                code="settled_in_app",
                params={"number": order.number},
            )
        if order.completed_at is not None:
            closes = order.completed_at + self.refund_window
            if order.released_at is not None or self.clock.now() >= closes:
                raise Conflict(
                    f"the refund window of order {order.number} closed at {closes.isoformat()}",
                    code="refund_window_closed",
                    params={"number": order.number, "closed": closes},
                )

    def _succeeded(self, refund_id: int, partner_refund_id: str) -> RefundView:
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = s.get_one(money_db.RefundRow, refund_id, with_for_update=True)
            if row.status != RefundStatus.REQUESTED:
                return refund_view(row)
            order = s.get_one(order_db.OrderRow, row.order_id, with_for_update=True)
            if row.stage == RefundStage.STRAY:
                return self._stray_returned(s, row, partner_refund_id)
            clawback = None
            if order.completed_at is not None:
                clawback = settled_split(s, order).minus(settled_split(s, order, without=row.id))
            payment = s.scalar(
                select(money_db.PaymentRow).where(money_db.PaymentRow.order_id == order.id)
            )
            partner = payment.partner if payment else self.partner.name
            money_db.post(
                s,
                ledger.refund(
                    ledger.RefundMoney(
                        row.id,
                        order.id,
                        order.number,
                        order.merchant_id,
                        partner,
                        row.amount_idr,
                        clawback,
                    )
                ),
                now,
            )
            row.status, row.partner_refund_id, row.updated_at = (
                RefundStatus.SUCCEEDED,
                partner_refund_id,
                now,
            )
            row.stage = RefundStage.SHARES if clawback is not None else RefundStage.ESCROW
            order.refunded_idr += row.amount_idr
            if _nothing_left(s, order):  # whichever refund settles last ends the order
                ending = _ending(order, row.then_status or OrderStatus.REFUNDED.value)
                order_db.move_order(s, order, Move(ending, row.actor, row.reason), now)
            log.info("refund_succeeded", order=order.number, amount=row.amount_idr)
            return refund_view(row)

    def _stray_returned(
        self, s: Session, row: money_db.RefundRow, partner_refund_id: str
    ) -> RefundView:
        """A second payment is back with the buyer: the order itself is not touched."""
        now = self.clock.now()
        partner = self.partner.name
        entry = ledger.stray_refund(
            row.id, row.order_id, row.partner_order_id or "", partner, row.amount_idr
        )
        money_db.post(s, entry, now)
        row.status, row.partner_refund_id, row.updated_at = (
            RefundStatus.SUCCEEDED,
            partner_refund_id,
            now,
        )
        log.info("stray_payment_returned", refund=row.id, partner_order=row.partner_order_id)
        return refund_view(row)

    def _failed(self, refund_id: int, error: str) -> None:
        """The partner refused: the reserved goods are refundable again."""
        with transaction(self.sessions) as s:
            row = s.get_one(money_db.RefundRow, refund_id, with_for_update=True)
            if row.status != RefundStatus.REQUESTED:
                return
            row.status, row.error, row.updated_at = (
                RefundStatus.FAILED,
                error[:300],
                self.clock.now(),
            )
            if row.stage == RefundStage.STRAY:
                log.error("stray_payment_not_returned", refund=row.id, error=error)
                return
            order = s.get_one(order_db.OrderRow, row.order_id, with_for_update=True)
            quantities = row.quantities()
            for line in s.scalars(
                select(order_db.OrderLineRow).where(order_db.OrderLineRow.order_id == order.id)
            ):
                line.refunded_quantity -= quantities.get(line.product_id, 0)
            order.refunded_shipping_idr -= row.shipping_idr
            log.warning("refund_refused", order=order.number, error=error)

    def _still_requested(self, refund_id: int, error: str) -> RefundView:
        with transaction(self.sessions) as s:
            row = s.get_one(money_db.RefundRow, refund_id)
            row.error, row.updated_at = error[:300], self.clock.now()
            log.warning("refund_waiting_for_partner", refund=row.id, error=error)
            return refund_view(row)


def _by_transfer(payment: money_db.PaymentRow | None, row: money_db.RefundRow) -> bool:
    """A bank-transfer (virtual account) payment: the order's own, one that landed after the
    order ended, or a second payment returned whole. E-wallet and QRIS payments stay on the
    partner's refund API."""
    if row.stage == RefundStage.STRAY:
        return row.paid_with == VIRTUAL_ACCOUNT
    return payment is not None and payment.method == VIRTUAL_ACCOUNT


VIRTUAL_ACCOUNT = "virtual_account"


def _order(
    s: Session, order_id: int, merchant_id: int | None, *, lock: bool = False
) -> order_db.OrderRow:
    order = s.get(order_db.OrderRow, order_id, with_for_update=lock or None)
    if order is None or (merchant_id is not None and order.merchant_id != merchant_id):
        raise NotFound(
            f"no order with id {order_id} in your shop",
            code="not_your_shop_order",
            params={"id": order_id},
        )
    return order


def _ending(order: order_db.OrderRow, wanted: str) -> OrderStatus:
    """What a fully refunded order becomes: as asked if the order can still become that (a
    cancelled paid order), else refunded: the money is back with the buyer either way."""
    target = OrderStatus(wanted)
    allowed = TRANSITIONS[OrderStatus(order.status)]
    return target if target in allowed else OrderStatus.REFUNDED


def _nothing_left(s: Session, order: order_db.OrderRow) -> bool:
    quantities, shipping = settled_refunds(s, order.id)
    lines = s.scalars(
        select(order_db.OrderLineRow).where(order_db.OrderLineRow.order_id == order.id)
    )
    return shipping == order.shipping_idr and all(
        quantities.get(line.product_id, 0) == line.quantity for line in lines
    )


def refund_view(row: money_db.RefundRow) -> RefundView:
    return RefundView(
        id=row.id,
        order_id=row.order_id,
        amount_idr=row.amount_idr,
        shipping_idr=row.shipping_idr,
        lines=tuple(RefundLine(p, q) for p, q in row.quantities().items()),
        reason=row.reason,
        status=row.status,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
