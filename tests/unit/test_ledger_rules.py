"""The ledger's arithmetic, over many random orders and refunds (hypothesis): every entry
balances, an order's shares add up to its money exactly, and refunding an order piece by piece
takes back exactly what completion gave, never more than a share holds."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.commerce.money import ledger

lines = st.lists(
    st.builds(
        ledger.MoneyLine,
        product_id=st.integers(1, 10**6),
        unit_price_idr=st.integers(1, 10_000_000),
        quantity=st.integers(1, 20),
        commission_bp=st.integers(0, 5_000),
        creator_id=st.none() | st.integers(1, 3),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda line: line.product_id,
)
fees = st.integers(0, 2_000)
shipping = st.integers(0, 100_000)


def shares_are_whole(s: ledger.Split) -> None:
    assert s.merchant_idr >= 0 and s.platform_fee_idr >= 0
    assert all(n >= 0 for n in s.commissions.values())


@given(lines, shipping, fees)
def test_an_orders_shares_add_up_to_its_money(
    order: list[ledger.MoneyLine], shipping_idr: int, fee_bp: int
) -> None:
    shares = ledger.split(order, shipping_idr, fee_bp)
    assert shares.total_idr == sum(line.amount_idr for line in order) + shipping_idr
    shares_are_whole(shares)
    completion = ledger.completion(1, "KRJ-1", 7, shares)
    assert completion.debits == completion.credits == shares.total_idr


@given(lines, shipping, fees, st.data())
def test_refunding_piece_by_piece_takes_back_exactly_what_completion_gave(
    order: list[ledger.MoneyLine], shipping_idr: int, fee_bp: int, data: st.DataObject
) -> None:
    remaining = {line.product_id: line.quantity for line in order}
    ship_left = shipping_idr
    held = ledger.split(order, shipping_idr, fee_bp)  # what the order's shares hold now
    while any(remaining.values()) or ship_left:
        left = sorted(p for p, n in remaining.items() if n)
        product = data.draw(st.sampled_from(left)) if left else None
        units = data.draw(st.integers(1, remaining[product])) if product else 0
        ship = ship_left if not left or data.draw(st.booleans()) else 0
        if product is None:
            product = order[0].product_id
        remaining[product] -= units
        ship_left -= ship
        after = ledger.split(
            [ledger.MoneyLine(**vars(x) | {"quantity": remaining[x.product_id]}) for x in order],
            ship_left,
            fee_bp,
        )
        clawback = held.minus(after)
        price = next(x.unit_price_idr for x in order if x.product_id == product)
        amount = units * price + ship
        assert clawback.total_idr == amount
        entry = ledger.refund(ledger.RefundMoney(1, 1, "KRJ-1", 7, "simulator", amount, clawback))
        assert entry.debits == entry.credits == amount
        held = after
        shares_are_whole(held)  # no share ever gives back more than it holds
    assert held == ledger.Split(0, {c: 0 for c in held.commissions}, 0)


@given(st.sampled_from(sorted(ledger.PARTNER_FEE_SCHEDULE)), st.integers(1, 10**10))
def test_a_partner_fee_never_exceeds_the_payment(method: str, gross: int) -> None:
    fee = ledger.partner_fee(method, gross)
    assert 0 <= fee <= gross
    entry = ledger.payment(1, "KRJ-1", "simulator", gross, fee)
    assert entry.debits == entry.credits == gross


def test_an_unbalanced_entry_cannot_be_made() -> None:
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.Entry("payment", "x", "", (ledger.Posting("escrow", credit=10),))
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.Entry(
            "payment",
            "x",
            "",
            (ledger.Posting("a", debit=10), ledger.Posting("b", credit=10, debit=1)),
        )
