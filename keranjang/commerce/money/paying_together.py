"""One payment for the orders of a checkout across shops: the buyer pays the whole cart once,
at one partner payment (`KRG-…`), and each order's payment row holds its share. The checkout
payment and its orders are stored before the partner is asked, so news of a payment the partner
made while commerce stopped still finds its orders. A replayed checkout gets the payments it
made before; an order whose share can no longer be paid (the payment ended) is paid on its own
through `PayingService.start`."""

import json
import secrets
from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from keranjang.commerce.errors import Conflict, PaymentUnavailable
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.domain import Choice, PaymentOutcome, payment_lifetime
from keranjang.commerce.money.news_together import CHECKOUT_PREFIX
from keranjang.commerce.money.paying import PayingService, PlacedOrder
from keranjang.commerce.money.payment_news import PARTNER_ORDER_ID, partner_order_id
from keranjang.commerce.money.payment_rows import payment_row, view
from keranjang.infra.database import transaction
from keranjang.payments import NewPayment


def pay_together(
    paying: PayingService, buyer_id: int, placed: Sequence[PlacedOrder], choice: Choice
) -> list[PaymentOutcome]:
    """The orders' payments, made as one at the partner; the same payments when asked again."""
    number, total = _checkout_payment(paying, buyer_id, placed)
    if _has_payments(paying, placed):
        return paying.pay_placed_orders(buyer_id, placed, choice, replayed=True)
    try:
        new = NewPayment(
            order_id=number,
            gross_amount=total,
            method=choice.method,
            description=f"Keranjang {number}: {len(placed)} pesanan",
            va_bank=choice.va_bank,
            finish_redirect_url=f"{paying.finish_url}/orders?checkout={number}",
            expires_in=payment_lifetime(
                number, min(o.hold_expires_at for o in placed), paying.clock.now()
            ),
        )
        created, attempt = paying.create_at_partner(new, 1)
    except (PaymentUnavailable, Conflict) as exc:
        return [PaymentOutcome(o.id, None, str(exc)) for o in placed]
    now = paying.clock.now()
    rows = []
    for order in placed:
        row = payment_row(order.id, paying.partner.name, created, attempt, now)
        row.amount_idr = order.total_idr
        named = json.loads(row.instructions) | {PARTNER_ORDER_ID: partner_order_id(number, attempt)}
        row.instructions = json.dumps(named)
        rows.append(row)
    try:
        with transaction(paying.sessions) as s:
            s.execute(insert(money_db.PaymentRow), [_values(r) for r in rows])
    except IntegrityError:  # another request stored the orders' payments meanwhile
        return paying.pay_placed_orders(buyer_id, placed, choice, replayed=True)
    return [PaymentOutcome(r.order_id, view(r)) for r in rows]


def _checkout_payment(
    paying: PayingService, buyer_id: int, placed: Sequence[PlacedOrder]
) -> tuple[str, int]:
    """The checkout payment of these orders (number, total): the one stored, or a new one."""
    link = money_db.CheckoutPaymentOrderRow
    ids = [o.id for o in placed]
    for _ in range(2):  # a concurrent request may store it between the read and the write
        with paying.sessions() as s:
            found = s.execute(
                select(money_db.CheckoutPaymentRow.number, money_db.CheckoutPaymentRow.total_idr)
                .join(link, link.checkout_payment_id == money_db.CheckoutPaymentRow.id)
                .where(link.order_id.in_(ids))
                .limit(1)
            ).first()
        if found is not None:
            return str(found.number), int(found.total_idr)
        try:
            return _new_checkout_payment(paying, buyer_id, placed)
        except IntegrityError:
            continue
    raise Conflict(
        "the checkout's payment is being made by another request; try again", code="busy"
    )


def _new_checkout_payment(
    paying: PayingService, buyer_id: int, placed: Sequence[PlacedOrder]
) -> tuple[str, int]:
    number = CHECKOUT_PREFIX + secrets.token_hex(6).upper()
    total = sum(o.total_idr for o in placed)
    with transaction(paying.sessions) as s:
        row = money_db.CheckoutPaymentRow(
            number=number, buyer_id=buyer_id, total_idr=total, created_at=paying.clock.now()
        )
        s.add(row)
        s.flush()
        s.add_all(
            money_db.CheckoutPaymentOrderRow(order_id=o.id, checkout_payment_id=row.id)
            for o in placed
        )
    return number, total


def _has_payments(paying: PayingService, placed: Sequence[PlacedOrder]) -> bool:
    p = money_db.PaymentRow
    with paying.sessions() as s:
        found = s.scalar(select(p.id).where(p.order_id.in_([o.id for o in placed])).limit(1))
    return found is not None


_COLUMNS = [c.key for c in money_db.PaymentRow.__table__.columns if c.key != "id"]


def _values(row: money_db.PaymentRow) -> dict[str, object]:
    return {k: getattr(row, k) for k in _COLUMNS}
