"""Completing orders and closing their refund windows, with the ledger entries each posts.

A delivered order completes when its buyer confirms receipt, or by itself `auto_complete` after
delivery. Completion moves the order's money out of escrow into its shares (merchant, creator,
platform), held while the order can still be refunded; once the refund window has closed the
held shares become payable. Each public method is one transaction per order."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import structlog
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.errors import NotFound
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.money.domain import RefundStage, RefundStatus
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import Move, OrderStatus, OrderView
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction

log = structlog.get_logger(__name__)


class SettlementService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        auto_complete: timedelta,
        refund_window: timedelta,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.auto_complete = auto_complete
        self.refund_window = refund_window

    def confirm_received(self, buyer_id: int, order_id: int) -> OrderView:
        """The buyer says the goods arrived: the order completes."""
        with transaction(self.sessions) as s:
            order = s.get(order_db.OrderRow, order_id, with_for_update=True)
            if order is None or order.buyer_id != buyer_id:
                raise NotFound(
                    f"no order with id {order_id} in your account",
                    code="not_your_order",
                    params={"id": order_id},
                )
            complete(
                s, order, f"buyer:{buyer_id}", "the buyer received the goods", self.clock.now()
            )
            return order_db.order_view(s, order)

    def complete_due(self) -> int:
        """Delivered orders whose buyer has not confirmed within `auto_complete` complete."""
        cutoff = self.clock.now() - self.auto_complete
        due = select(order_db.OrderRow.id).where(
            order_db.OrderRow.status == OrderStatus.DELIVERED.value,
            order_db.OrderRow.updated_at <= cutoff,
        )
        done = 0
        for order_id in self._ids(due):
            with self._each(order_id) as s:
                order = s.get_one(order_db.OrderRow, order_id, with_for_update=True)
                if order.status == OrderStatus.DELIVERED.value:
                    complete(
                        s, order, "system:auto-complete", "no word from the buyer", self.clock.now()
                    )
                    done += 1
        return done

    def release_due(self) -> int:
        """Completed orders whose refund window has closed: their held shares become payable.
        An order with a refund still at the partner waits for it to settle."""
        now = self.clock.now()
        due = select(order_db.OrderRow.id).where(
            order_db.OrderRow.status == OrderStatus.COMPLETED.value,
            order_db.OrderRow.released_at.is_(None),
            order_db.OrderRow.completed_at <= now - self.refund_window,
            ~exists().where(
                money_db.RefundRow.order_id == order_db.OrderRow.id,
                money_db.RefundRow.status == RefundStatus.REQUESTED,
                money_db.RefundRow.stage != RefundStage.STRAY,
            ),
        )
        done = 0
        for order_id in self._ids(due):
            with self._each(order_id) as s:
                order = s.get_one(order_db.OrderRow, order_id, with_for_update=True)
                if order.released_at is None and not refund_in_flight(s, order.id):
                    shares = settled_split(s, order)
                    # An order completed in the old in-app shop before its merchant moved had
                    # its shares settled there (they opened here as balances): nothing is held
                    # for it, so nothing is released.
                    if shares.total_idr and money_db.posted(s, f"completion:{order.id}"):
                        entry = ledger.release(order.id, order.number, order.merchant_id, shares)
                        money_db.post(s, entry, now)
                    order.released_at = now
                    done += 1
        return done

    @contextmanager
    def _each(self, order_id: int) -> Iterator[Session]:
        """One order's transaction in a job: if it fails, it is logged and the job goes on."""
        try:
            with transaction(self.sessions) as s:
                yield s
        except Exception:
            log.exception("settling_order_failed", order_id=order_id)

    def run_due(self) -> None:
        """The periodic job: complete what is due, then release what is due."""
        self.complete_due()
        self.release_due()

    def refund_window_closes(self, order: order_db.OrderRow) -> datetime | None:
        return None if order.completed_at is None else order.completed_at + self.refund_window

    def _ids(self, query: object) -> list[int]:
        with self.sessions() as s:
            return list(s.scalars(query.order_by(order_db.OrderRow.id).limit(1000)))  # type: ignore[attr-defined]


def complete(s: Session, order: order_db.OrderRow, actor: str, reason: str, now: datetime) -> None:
    order_db.move_order(s, order, Move(OrderStatus.COMPLETED, actor, reason), now)
    order.completed_at = now
    shares = settled_split(s, order)
    if shares.total_idr:
        money_db.post(s, ledger.completion(order.id, order.number, order.merchant_id, shares), now)


def settled_split(s: Session, order: order_db.OrderRow, without: int | None = None) -> ledger.Split:
    """The shares of what of the order has not been refunded (refunds still at the partner are
    not refunded yet). `without` also leaves out that refund's goods, as if it had succeeded."""
    refunded, shipping = settled_refunds(s, order.id, without)
    line, came = order_db.OrderLineRow, attribution_db.AttributionRow
    rows = s.execute(
        select(
            line.product_id, line.unit_price_idr, line.quantity, line.commission_bp, came.creator_id
        )
        .outerjoin(came, line.attribution_id == came.id)
        .where(line.order_id == order.id)
    )
    money_lines = [
        ledger.MoneyLine(product, price, bought - refunded.get(product, 0), rate, creator)
        for product, price, bought, rate, creator in rows
    ]
    return ledger.split(money_lines, order.shipping_idr - shipping, order.platform_fee_bp)


def settled_refunds(
    s: Session, order_id: int, also: int | None = None
) -> tuple[dict[int, int], int]:
    """Units per product and shipping refunded by the order's succeeded refunds (and `also`)."""
    rows = s.scalars(
        select(money_db.RefundRow).where(
            money_db.RefundRow.order_id == order_id,
            (money_db.RefundRow.status == RefundStatus.SUCCEEDED)
            | (money_db.RefundRow.id == (also or 0)),
        )
    )
    quantities: dict[int, int] = {}
    shipping = 0
    for row in rows:
        shipping += row.shipping_idr
        for product_id, quantity in row.quantities().items():
            quantities[product_id] = quantities.get(product_id, 0) + quantity
    return quantities, shipping


def refund_in_flight(s: Session, order_id: int) -> bool:
    return (
        s.scalar(
            select(money_db.RefundRow.id)
            .where(
                money_db.RefundRow.order_id == order_id,
                money_db.RefundRow.status == RefundStatus.REQUESTED,
                money_db.RefundRow.stage != RefundStage.STRAY,
            )
            .limit(1)
        )
        is not None
    )
