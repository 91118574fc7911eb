"""A moved merchant's opening entries: every one balances, together they debit the migration
clearing account by exactly what they credit the merchant and escrow, zero amounts are left out,
and an open order's escrow is booked under its payment's own name so it is never booked twice."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.commerce.money import ledger

orders = st.lists(
    st.builds(
        ledger.OpenOrder,
        order_id=st.integers(1, 10**9),
        number=st.from_regex(r"LGC-[0-9A-F]{16}", fullmatch=True),
        escrow_idr=st.integers(0, 10**10),
    ),
    max_size=8,
    unique_by=lambda o: o.order_id,
)
balances = st.integers(-(10**9), 10**10)


def per_account(entries: list[ledger.Entry]) -> dict[str, int]:
    """Credits minus debits per account (what each credit-side account holds)."""
    held: dict[str, int] = {}
    for e in entries:
        for p in e.postings:
            held[p.account] = held.get(p.account, 0) + p.credit - p.debit
    return held


@given(orders, balances, balances)
def test_opening_entries_balance_to_the_rupiah(
    open_orders: list[ledger.OpenOrder], pending: int, payable: int
) -> None:
    opening = ledger.Opening(7, tuple(open_orders), pending, payable)
    entries = ledger.opening(opening)
    assert all(e.debits == e.credits for e in entries)
    held = per_account(entries)
    assert -held.get(ledger.MIGRATION_CLEARING, 0) == opening.total_idr
    assert held.get(ledger.ESCROW, 0) == sum(o.escrow_idr for o in open_orders)
    assert held.get(ledger.merchant_pending(7), 0) == pending
    assert held.get(ledger.merchant_payable(7), 0) == payable
    assert sum(held.values()) == 0
    refs = [e.ref for e in entries]
    assert len(refs) == len(set(refs))


def test_zero_amounts_are_left_out() -> None:
    opening = ledger.Opening(
        3,
        (ledger.OpenOrder(10, "LGC-00000000000000AA", 0), ledger.OpenOrder(11, "LGC-B", 365_000)),
        pending_idr=0,
        payable_idr=120_500,
    )
    entries = ledger.opening(opening)
    assert [e.ref for e in entries] == ["payment:11", "opening:3:payable"]
    assert ledger.opening(ledger.Opening(3)) == []


def test_an_open_orders_escrow_is_booked_as_its_payment() -> None:
    (escrow,) = ledger.opening(ledger.Opening(3, (ledger.OpenOrder(11, "LGC-B", 365_000),)))
    assert (escrow.kind, escrow.ref, escrow.order_id) == ("opening", "payment:11", 11)
    assert "opening" in ledger.PAYMENT_KINDS
    assert escrow.postings == (
        ledger.Posting(ledger.MIGRATION_CLEARING, debit=365_000),
        ledger.Posting(ledger.ESCROW, credit=365_000),
    )
    # The same name a payment taken here would have: posting both is impossible.
    assert ledger.payment(11, "LGC-B", "simulator", 365_000, 4_000).ref == escrow.ref


def test_a_merchant_owing_the_old_shop_opens_with_a_debit() -> None:
    (owed,) = ledger.opening(ledger.Opening(5, pending_idr=-20_000))
    assert owed.ref == "opening:5:pending"
    assert owed.postings == (
        ledger.Posting(ledger.MIGRATION_CLEARING, credit=20_000),
        ledger.Posting(ledger.merchant_pending(5), debit=20_000),
    )


def test_negative_escrow_and_unknown_balances_are_refused() -> None:
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.opening(ledger.Opening(5, (ledger.OpenOrder(1, "LGC-A", -1),)))
    with pytest.raises(ValueError, match="pending"):
        ledger.opening_balance(5, "escrow", 100)
