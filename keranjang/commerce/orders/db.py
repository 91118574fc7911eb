"""Orders' tables and the statements every use case moves an order with: the transition, its
event and outbox message, the stock it gives back, and (an order that ends unpaid) the request
to end its open payment at the partner."""

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.errors import OrderChanged
from keranjang.commerce.orders.domain import (
    RESTOCKING,
    UNPAID,
    HistoryEntry,
    LineView,
    Move,
    OrderStatus,
    OrderView,
    check_transition,
)
from keranjang.commerce.tables import Base
from keranjang.infra.types import Id, UtcDateTime


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status_hold", "status", "hold_expires_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    subtotal_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_idr: Mapped[int] = mapped_column(BigInteger)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_address: Mapped[str] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    hold_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The money side, fixed at checkout and kept by the ledger's use cases.
    platform_fee_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    refunded_idr: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refunded_shipping_idr: Mapped[int] = mapped_column(BigInteger, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the refund window closed and the held shares became payable.
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    title: Mapped[str] = mapped_column(String(200))
    unit_price_idr: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    attribution_id: Mapped[int | None] = mapped_column(ForeignKey("attributions.id"))
    # The commission rate the creator of the attribution earns (0 without one), fixed at
    # checkout; and how many units have been refunded (or are being refunded).
    commission_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    refunded_quantity: Mapped[int] = mapped_column(Integer, server_default="0")


class StockHoldRow(Base):
    """Units taken off the shelf for an unpaid order; released once, if payment never comes."""

    __tablename__ = "stock_holds"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderEventRow(Base):
    """Every transition, with its time and actor."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxRow(Base):
    """Order events for other systems, written in the same transaction as the change."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class PaymentEndRow(Base):
    """An order that ended unpaid asks for its open payment to be ended at the partner (cancel
    or expire): written in the transaction that ends the order, sent after it commits, and
    again with a growing delay while the partner cannot be reached (`money.payment_ends`)."""

    __tablename__ = "payment_ends"
    __table_args__ = (Index("ix_payment_ends_status_next_at", "status", "next_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    ending: Mapped[str] = mapped_column(String(10))  # "cancel" or "expire"
    # "pending" until "done"; "refused" while the partner refuses (asked again all the same)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


ENDINGS = {OrderStatus.CANCELLED: "cancel", OrderStatus.EXPIRED: "expire"}


# ----------------------------------------------------------------------------------------------
# Moving an order: the transition, its event, its outbox message, and the stock it gives back.


def move_order(s: Session, order: OrderRow, move: Move, now: datetime) -> None:
    """Compare and set: the order moves only if it is still in the state it was read in, so
    two requests racing (a payment and the hold's expiry, a cancel and a shipment) can never
    both win; the loser gets `OrderChanged` and its transaction rolls back."""
    current, target = OrderStatus(order.status), move.target
    check_transition(current, target)
    moved = s.execute(
        update(OrderRow)
        .where(OrderRow.id == order.id, OrderRow.status == current.value)
        .values(status=target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise OrderChanged(
            f"order {order.number} changed while this request ran; reload it and try again"
        )
    set_committed_value(order, "status", target.value)
    set_committed_value(order, "updated_at", now)
    if target in RESTOCKING:
        release_holds(s, order.id, now)
    if current is OrderStatus.AWAITING_PAYMENT and target in ENDINGS:
        s.add(
            PaymentEndRow(
                order_id=order.id,
                ending=ENDINGS[target],
                status="pending",
                attempts=0,
                next_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    record_event(s, order, current, move, now)


def release_holds(s: Session, order_id: int, now: datetime) -> None:
    holds = s.scalars(
        select(StockHoldRow).where(
            StockHoldRow.order_id == order_id, StockHoldRow.released_at.is_(None)
        )
    ).all()
    for hold in holds:
        s.execute(
            update(ProductRow)
            .where(ProductRow.id == hold.product_id)
            .values(stock=ProductRow.stock + hold.quantity)
        )
        hold.released_at = now


def record_event(
    s: Session, order: OrderRow, before: OrderStatus | None, move: Move, now: datetime
) -> None:
    """The moved order's event and outbox message."""
    record_events_by(s, [(order, move.actor)], before, move.reason, now)


def record_events_by(
    s: Session | Connection,
    moved: Sequence[tuple[OrderRow, str]],
    before: OrderStatus | None,
    reason: str,
    now: datetime,
) -> None:
    """As `record_events`, each order with its own actor (orders of several buyers at once)."""
    s.execute(
        _INSERT_EVENTS,
        [
            {
                "order_id": order.id,
                "from_status": before,
                "to_status": order.status,
                "actor": actor,
                "reason": reason,
                "at": now,
            }
            for order, actor in moved
        ],
    )
    messages = []
    for order, _actor in moved:
        payload = {
            "order_id": order.id,
            "number": order.number,
            "from": before,
            "to": order.status,
            "total_idr": order.total_idr,
        }
        messages.append(
            {
                "topic": f"order.{order.status}",
                "payload": json.dumps(payload),
                "created_at": now,
                "published_at": None,
            }
        )
    s.execute(_INSERT_OUTBOX, messages)


_INSERT_EVENTS = insert(OrderEventRow.__table__)  # type: ignore[arg-type]
_INSERT_OUTBOX = insert(OutboxRow.__table__)  # type: ignore[arg-type]


def order_view(
    s: Session | Connection, order: OrderRow, lines: Sequence[OrderLineRow] | None = None
) -> OrderView:
    """An order as its buyer and its merchant see it (pass `lines` when they are at hand)."""
    if lines is None:
        lines = s.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order.id)).all()
    return OrderView(
        id=order.id,
        number=order.number,
        merchant_id=order.merchant_id,
        status=order.status,
        subtotal_idr=order.subtotal_idr,
        shipping_idr=order.shipping_idr,
        total_idr=order.total_idr,
        refunded_idr=order.refunded_idr,
        tracking_number=order.tracking_number,
        shipping_address=json.loads(order.shipping_address),
        hold_expires_at=order.hold_expires_at,
        created_at=order.created_at,
        lines=tuple(line_view(x) for x in lines),
        invoice_number=_invoice_number(s, order),
    )


def with_history(s: Session, view: OrderView) -> OrderView:
    return replace(view, history=order_history(s, view.id))


def line_view(line: OrderLineRow) -> LineView:
    return LineView(line.product_id, line.title, line.unit_price_idr, line.quantity)


def order_history(s: Session, order_id: int) -> tuple[HistoryEntry, ...]:
    """The order's transitions, oldest first: when, to what, by whom (the kind of actor only:
    buyer, merchant, partner or system) and why."""
    events = s.scalars(
        select(OrderEventRow).where(OrderEventRow.order_id == order_id).order_by(OrderEventRow.id)
    )
    return tuple(
        HistoryEntry(e.to_status, e.at, e.actor.split(":", 1)[0], e.reason) for e in events
    )


def _invoice_number(s: Session | Connection, order: OrderRow) -> str | None:
    if order.status in UNPAID:
        return None
    return s.scalar(select(InvoiceRow.number).where(InvoiceRow.order_id == order.id))


class InvoiceRow(Base):
    """The invoice of a paid order, issued once in the transaction that marks it paid. `body`
    freezes what it says (seller, buyer, address, lines, amounts) as of that moment, so later
    edits to the shop or the account never change an issued invoice."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)


def invoice_number(order: OrderRow, issued_at: datetime) -> str:
    """`INV/<issue date>/KRJ/<order id, ten digits>`: unique (one invoice per order), never
    reused, and it needs no counter that concurrent payments would fight over."""
    return f"INV/{issued_at:%Y%m%d}/KRJ/{order.id:010d}"
