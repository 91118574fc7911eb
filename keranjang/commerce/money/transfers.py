"""Asking the disbursement partner, as payouts and bank-transfer refunds both do: send a
transfer (a refusal is a failed transfer: nothing left the account; a partner out of reach
leaves it to be sent again under the same key), and look one up."""

from datetime import datetime

from keranjang.commerce.errors import PaymentUnavailable
from keranjang.payments.disbursements import (
    DisbursementEvent,
    DisbursementPartner,
    DisbursementStatus,
    Transfer,
)
from keranjang.payments.errors import PartnerRefused, PartnerUnavailable


def send(
    partner: DisbursementPartner, transfer: Transfer, now: datetime
) -> DisbursementEvent | None:
    """The partner's word on the transfer just sent; None when it could not be reached."""
    try:
        return partner.send(transfer)
    except PartnerUnavailable:
        return None
    except PartnerRefused as exc:
        return DisbursementEvent(
            transfer.key, DisbursementStatus.FAILED, transfer.amount, "", "refused", now, str(exc)
        )


def look_up(partner: DisbursementPartner, partner_id: str) -> DisbursementEvent:
    try:
        return partner.lookup(partner_id)
    except PartnerUnavailable as exc:
        raise PaymentUnavailable(
            f"{partner.name} cannot be asked now: {exc}", code="partner_down"
        ) from exc
