"""The legacy in-app shop's rules, without I/O: the order state machine (commerce's, copied),
one order per seller, listings and registrations as the old app took them, and the escrow
journal's entries, which always balance and share an order's total to the rupiah."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.social.legacy_shop import domain, ledger, listings
from keranjang.social.legacy_shop.domain import OrderStatus as S


def test_an_order_moves_only_along_commerces_state_machine() -> None:
    assert domain.check_transition(S.AWAITING_PAYMENT, S.PAID) is S.PAID
    assert domain.check_transition(S.DELIVERED, S.COMPLETED) is S.COMPLETED
    with pytest.raises(domain.IllegalTransition, match="cannot become shipped"):
        domain.check_transition(S.AWAITING_PAYMENT, S.SHIPPED)
    with pytest.raises(domain.IllegalTransition, match="final"):
        domain.check_transition(S.EXPIRED, S.PAID)


def test_the_states_are_commerces_values() -> None:
    assert [s.value for s in S] == [
        "awaiting_payment", "paid", "shipped", "delivered", "completed",
        "cancelled", "expired", "refunded",
    ]  # fmt: skip


def test_a_cart_across_sellers_becomes_one_order_per_seller_with_its_own_shipping() -> None:
    lines = [
        domain.CartLine(1, seller_id=7, title="A", unit_price_idr=10_000, quantity=2),
        domain.CartLine(2, seller_id=3, title="B", unit_price_idr=5_000, quantity=1),
        domain.CartLine(3, seller_id=7, title="C", unit_price_idr=1_000, quantity=3),
    ]
    drafts = domain.split_by_seller(lines, shipping_idr=15_000)
    assert [(d.seller_id, d.subtotal_idr, d.total_idr) for d in drafts] == [
        (3, 5_000, 20_000),
        (7, 23_000, 38_000),
    ]
    with pytest.raises(domain.EmptyCart):
        domain.split_by_seller([], 15_000)


def test_a_key_reused_with_another_body_is_refused() -> None:
    first = domain.request_fingerprint({"a": 1, "b": [1, 2]})
    assert first == domain.request_fingerprint({"b": [1, 2], "a": 1})
    with pytest.raises(domain.KeyReused):
        domain.check_same_request(first, domain.request_fingerprint({"a": 2}))
    with pytest.raises(domain.Invalid, match="Idempotency-Key"):
        domain.check_idempotency_key("short")


def test_partner_order_ids_name_the_attempt_and_read_back() -> None:
    assert domain.partner_order_id("LGC-ABC", 1) == "LGC-ABC"
    assert domain.order_number_and_attempt(domain.partner_order_id("LGC-ABC", 3)) == ("LGC-ABC", 3)
    assert domain.order_number_and_attempt("LGC-ABC") == ("LGC-ABC", 1)


def test_a_payment_back_from_commerce_is_known_by_its_checkouts_payment() -> None:
    """A rolled-back order paid in commerce with a checkout's one payment is refunded there."""
    assert domain.known_by("LGC-ABC-2", "{}") == "LGC-ABC-2"
    assert domain.known_by("KRJ-1", '{"va_number": "8808"}') == "KRJ-1"
    assert domain.known_by("KRJ-1", '{"partner_order_id": "KRG-9"}') == "KRG-9"


def test_a_foreign_seller_keeps_what_it_gave_and_missing_names_the_rest() -> None:
    reg = listings.check_registration(
        listings.Registration("toko-luar", "Toko Luar", domain.SellerKind.FOREIGN, owner_name="Li")
    )
    missing = listings.missing_registration(reg)
    assert "owner_name" not in missing and missing[0] == "identity_document"
    assert listings.missing_registration(listings.Registration("toko-lokal", "Lokal")) == []
    with pytest.raises(domain.Invalid, match="slug"):
        listings.check_registration(listings.Registration("-x", "X"))


def test_a_listing_is_checked_for_format_and_cross_border_gaps_are_named() -> None:
    listing = listings.check_listing(
        listings.Listing(
            " Jaket ", "", 90_000, 5, hs_code="6201.40", origin_country="cn", cross_border=True,
            fob_usd_cents=2_500,
        )
    )  # fmt: skip
    assert listing.title == "Jaket" and listing.hs_code == "620140"
    assert listing.origin_country == "CN"
    assert listings.cross_border_gaps(listing) == ["npb_number", "fob_usd_cents below US$100"]
    book = listings.Listing("Buku", "", 90_000, 5, hs_code="490199", origin_country="SG",
                          cross_border=True, fob_usd_cents=900, npb_number="NPB-1234")  # fmt: skip
    assert listings.cross_border_gaps(book) == []
    with pytest.raises(domain.Invalid, match="price_idr"):
        listings.check_listing(listings.Listing("X", "", 0, 1))
    with pytest.raises(domain.Invalid, match="commission_bp"):
        listings.check_listing(listings.Listing("X", "", 1, 1, commission_bp=9_000))


def test_an_address_and_a_payout_account_say_what_to_fix() -> None:
    with pytest.raises(domain.Invalid, match="postal_code"):
        domain.check_address(domain.Address("Siti", "+62812345678", "Jl. Merdeka 1", "Bdg", "4011"))
    with pytest.raises(domain.Invalid, match="account_number"):
        listings.check_payout_account(listings.PayoutAccount("bca", "12ab", "Rina"))
    account = listings.check_payout_account(listings.PayoutAccount(" BCA ", "1234567890", " Rina "))
    assert account == listings.PayoutAccount("bca", "1234567890", "Rina")


lines = st.lists(
    st.builds(
        ledger.ShareLine,
        amount_idr=st.integers(1, 10**10),
        commission_bp=st.integers(0, listings.MAX_COMMISSION_BP),
        creator_id=st.one_of(st.none(), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=8,
)


@given(lines, st.integers(0, 100_000), st.integers(0, 5_000))
def test_shares_add_up_to_the_total_to_the_rupiah(
    share_lines: list[ledger.ShareLine], shipping: int, fee_bp: int
) -> None:
    total = sum(x.amount_idr for x in share_lines) + shipping
    shares = ledger.shares(share_lines, total, fee_bp)
    assert shares.seller_idr + shares.fee_idr + shares.commission_idr == total
    assert shares.seller_idr >= shipping
    completion = ledger.completion(1, 9, total, shares)
    refund = ledger.refund(1, 9, total, shares)
    escrow = [p for e in (ledger.payment(1, 9, total), completion) for p in e.postings]
    assert sum(p.amount_idr for p in escrow if p.account is ledger.Account.ESCROW) == 0
    payable = [p for e in (completion, refund) for p in e.postings]
    assert sum(p.amount_idr for p in payable if p.account is ledger.Account.SELLER_PAYABLE) == 0


def test_an_entry_that_does_not_balance_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="does not balance"):
        ledger.Entry("x", None, (ledger.Posting(ledger.Account.ESCROW, 1),))


def test_a_move_names_who_and_when() -> None:
    at = datetime(2024, 3, 27, tzinfo=UTC)
    move = domain.Move(S.PAID, "partner:tx-1", "", at)
    assert (move.target, move.actor, move.at) == (S.PAID, "partner:tx-1", at)
