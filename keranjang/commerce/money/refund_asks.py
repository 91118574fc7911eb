"""What a refund asks for (some units, or everything left with shipping) and what it comes to,
checked against what is still refundable on the order's lines."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.errors import Invalid
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus


@dataclass(frozen=True)
class RefundAsk:
    """`quantities` maps product ids to units; None refunds everything left, shipping too."""

    order_id: int
    actor: str
    reason: str
    quantities: dict[int, int] | None = None
    shipping: bool = False
    # What the order becomes when this refund leaves nothing (default: refunded).
    then_status: OrderStatus = OrderStatus.REFUNDED


def planned(
    s: Session, order: order_db.OrderRow, ask: RefundAsk
) -> tuple[dict[int, order_db.OrderLineRow], dict[int, int], int, int]:
    """The order's lines by product, and what the ask refunds: units per product, shipping and
    the amount (`Invalid` when that is nothing)."""
    lines = s.scalars(
        select(order_db.OrderLineRow).where(order_db.OrderLineRow.order_id == order.id)
    )
    by_product = {line.product_id: line for line in lines}
    quantities = _quantities(ask, by_product)
    everything = ask.quantities is None
    shipping = (
        order.shipping_idr - order.refunded_shipping_idr if (everything or ask.shipping) else 0
    )
    amount = shipping + sum(by_product[p].unit_price_idr * q for p, q in quantities.items())
    if amount <= 0:
        raise Invalid("nothing is left to refund on this order", code="nothing_to_refund")
    return by_product, quantities, shipping, amount


def _quantities(ask: RefundAsk, lines: dict[int, order_db.OrderLineRow]) -> dict[int, int]:
    """Units to refund per product: what was asked, each checked against what is left."""
    left = {p: line.quantity - line.refunded_quantity for p, line in lines.items()}
    if ask.quantities is None:
        return {p: n for p, n in left.items() if n > 0}
    for product_id, quantity in ask.quantities.items():
        if product_id not in lines:
            raise Invalid(
                f"product {product_id} is not in this order",
                code="not_in_order",
                params={"id": product_id},
            )
        if not 1 <= quantity <= left[product_id]:
            raise Invalid(
                f"product {product_id}: refund from 1 to {left[product_id]} units "
                f"(bought {lines[product_id].quantity}, already refunded "
                f"{lines[product_id].refunded_quantity})",
                code="refund_quantity",
                params={"title": lines[product_id].title, "max": left[product_id]},
            )
    return {p: q for p, q in ask.quantities.items()}
