"""Ending an open payment (cancel or expire) as every adapter answers it. A partner refuses to
end a payment that is no longer open, in its own words; its status then says which it is:
paid (`AlreadyPaid`, with the partner's view, so the caller learns the money is in), or ended
already (answered as it is: ending twice is harmless)."""

from collections.abc import Callable

from keranjang.payments.contract import PaymentEvent, PaymentStatus
from keranjang.payments.errors import AlreadyPaid, PartnerRefused

# The partner holds (or held) the buyer's money; the payment can no longer be paid.
TAKEN = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
ENDED = frozenset({PaymentStatus.CANCELLED, PaymentStatus.EXPIRED, PaymentStatus.FAILED})


def not_paid(current: PaymentEvent, partner: str) -> PaymentEvent:
    """`current`, unless it took the buyer's money (AlreadyPaid)."""
    if current.status in TAKEN:
        raise AlreadyPaid(
            f"{partner} has order {current.order_id} {current.status.value} "
            f"(Rp{current.gross_amount}): it cannot be cancelled, refund it instead",
            409,
            current,
        )
    return current


def explained(
    status: Callable[[str], PaymentEvent], order_id: str, refused: PartnerRefused, partner: str
) -> PaymentEvent:
    """A refusal to end a payment, explained by its status: paid (AlreadyPaid), ended already
    (answered as it is), or still open (the refusal itself is raised again)."""
    current = not_paid(status(order_id), partner)
    if current.status in ENDED:
        return current
    raise refused
