"""The ledger's rules for a payout sent through a disbursement partner (plain Python).

A payout sent is not yet paid: the batch moves the payee's payable into its own in-transit
account, and only the partner's word settles it::

    payout_in_transit:<payable account>   credit  sent to the partner, not yet confirmed

    sent       payable          -> in transit     (`payout:<payout id>`, kind payout)
    completed  in transit       -> partner_clearing (`payout_paid:<id>`: the money left)
    failed     in transit       -> payable        (`payout_failed:<id>`: owed again, memo says why)

Each has its own `ref`, so a settlement can be posted once only, whatever is repeated; and a
payout that completed can never also fail (the service settles each once).
"""

from keranjang.commerce.money.ledger import Entry, Head, entry, partner_clearing

IN_TRANSIT = "payout_in_transit:"


def in_transit(payable_account: str) -> str:
    return IN_TRANSIT + payable_account


def sent(payout_id: int, payable_account: str, partner: str, amount_idr: int) -> Entry:
    memo = f"payout {payout_id} of {payable_account} sent through {partner}"
    return entry(
        Head("payout", f"payout:{payout_id}", memo),
        {payable_account: amount_idr},
        {in_transit(payable_account): amount_idr},
    )


def completed(payout_id: int, payable_account: str, partner: str, amount_idr: int) -> Entry:
    memo = f"payout {payout_id} of {payable_account} received by the payee's bank"
    return entry(
        Head("payout_paid", f"payout_paid:{payout_id}", memo),
        {in_transit(payable_account): amount_idr},
        {partner_clearing(partner): amount_idr},
    )


def failed(payout_id: int, payable_account: str, amount_idr: int, why: str) -> Entry:
    memo = f"payout {payout_id} failed and is owed again: {why or 'the partner gave no reason'}"
    return entry(
        Head("payout_failed", f"payout_failed:{payout_id}", memo[:300]),
        {in_transit(payable_account): amount_idr},
        {payable_account: amount_idr},
    )
