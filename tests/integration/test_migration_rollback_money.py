"""The way back carries the money commerce moved after the cutover, to the rupiah: a partial
refund (goods and shipping, before or after the order completed) lowers what the app's escrow
holds and what the seller is owed there; payouts commerce made lower the seller's payable in
the app; a payout still in transit makes the rollback wait, with nothing changed, until the
disbursement partner settles it. Both books balance. On SQLite and PostgreSQL."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.migration.errors import Unsettled
from keranjang.migration.phases import Phase
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import (
    app_balance,
    both_books_balance,
    order_money_in_app,
    owed_in_commerce,
)
from tests.integration.partner_disbursements import SimulatorPayouts
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401
from tests.integration.test_migration_rollback import check_out, complete_in_commerce


def commerce_state(moving: Moving) -> Any:
    return moving.legacy.system.commerce.app.state.commerce  # type: ignore[attr-defined]


def an_order_of_two_products(moving: Moving) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """After the cutover, a buyer checks out one unit each of two of the moved merchant's
    products in commerce, with shipping; the order, and its lines."""
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    products = [
        p
        for (p,) in rows(
            moving.commerce,
            "SELECT id FROM products WHERE merchant_id = :m AND stock > 0 ORDER BY id LIMIT 2",
            m=merchant,
        )
    ]
    order, _ = check_out(moving, dict.fromkeys(products, 1))
    lines = rows(
        moving.commerce,
        "SELECT product_id, unit_price_idr, title FROM order_lines WHERE order_id = :o"
        " ORDER BY product_id",
        o=order["id"],
    )
    return order, [{"product_id": p, "price": n, "title": t} for p, n, t in lines]


def refund_in_commerce(moving: Moving, order: dict[str, Any], line: dict[str, Any]) -> int:
    """The seller refunds one line and the shipping in commerce; the amount refunded."""
    state = commerce_state(moving)
    state.refunds.partner = moving.legacy.sim.partner
    r = moving.legacy.system.commerce.post(
        f"/api/seller/orders/{order['id']}/refunds",
        json={
            "reason": "Barang rusak",
            "items": [{"product_id": line["product_id"], "quantity": 1}],
            "shipping": True,
        },
        headers=bearer(moving.seller),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "succeeded"
    return int(r.json()["amount_idr"])


def paid_in_commerce(moving: Moving, order: dict[str, Any]) -> None:
    moving.legacy.pay(order)
    state = commerce_state(moving)
    state.reconciliation.partner = moving.legacy.sim.partner
    state.reconciliation.run()
    assert one(moving.commerce, f"SELECT status FROM orders WHERE id = {order['id']}") == "paid"


def test_a_partial_refund_made_in_commerce_goes_back_to_the_apps_escrow(moving: Moving) -> None:
    order, lines = an_order_of_two_products(moving)
    paid_in_commerce(moving, order)
    shipping = one(moving.commerce, f"SELECT shipping_idr FROM orders WHERE id = {order['id']}")
    refunded = refund_in_commerce(moving, order, lines[0])
    assert shipping > 0 and refunded == lines[0]["price"] + shipping
    escrow_before, payable_before = app_balance(moving)

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    left = order["total_idr"] - refunded
    escrow, payable = app_balance(moving)
    assert (escrow - escrow_before, payable - payable_before) == (left, 0)
    legacy_order = one(
        moving.social, "SELECT id FROM legacy_orders WHERE number = :n", n=order["number"]
    )
    [(amount, status, reason)] = rows(
        moving.social,
        "SELECT amount_idr, status, reason FROM legacy_refunds WHERE order_id = :o",
        o=legacy_order,
    )
    assert (amount, status) == (refunded, "succeeded")
    assert f"1 x {lines[0]['title']}" in reason and f"ongkir Rp{shipping}" in reason
    assert lines[1]["title"] not in reason
    in_app = order_money_in_app(moving, legacy_order)
    assert in_app == {"partner_clearing": left, "escrow": -left}
    with Session(moving.commerce) as s:
        assert money_db.owed(s, "migration_clearing") == left  # what commerce owes the app
    both_books_balance(moving)


def test_a_refund_after_completion_in_commerce_lowers_the_sellers_payable_in_the_app(
    moving: Moving,
) -> None:
    order, lines = an_order_of_two_products(moving)
    merchant = moving.move().commerce_merchant_id
    owed_at_cutover = owed_in_commerce(moving, merchant)
    complete_in_commerce(moving, order)
    refund_in_commerce(moving, order, lines[1])
    owed_now = owed_in_commerce(moving, merchant)
    assert owed_now > owed_at_cutover
    escrow_before, payable_before = app_balance(moving)

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    escrow, payable = app_balance(moving)
    # The seller is owed in the app what commerce gave it for the order, less the clawback.
    assert (escrow - escrow_before, payable - payable_before) == (0, owed_now - owed_at_cutover)
    both_books_balance(moving)


def test_payouts_made_in_commerce_leave_the_app_owing_the_seller_only_the_rest(
    moving: Moving,
) -> None:
    order, _ = an_order_of_two_products(moving)
    merchant = moving.move().commerce_merchant_id
    opening = owed_in_commerce(moving, merchant)
    assert opening > 0  # the payable the seller brought from the app
    batch = commerce_state(moving).payouts.run_batch(minimum_idr=1)
    paid_out = sum(p.amount_idr for p in batch.payouts if p.account.endswith(f":{merchant}"))
    assert paid_out == opening
    complete_in_commerce(moving, order)  # after the payout: owed, not paid yet
    owed = owed_in_commerce(moving, merchant)
    assert 0 < owed < order["total_idr"]

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    assert app_balance(moving)[1] == owed  # the app owes the seller what is still owed
    r = moving.legacy.social.get("/legacy/api/seller/balance", headers=bearer(moving.seller))
    assert r.status_code == 200, r.text
    assert r.json()["payable_idr"] == owed
    # What the app's journal says the partner holds for the merchant's money since the
    # cutover is what commerce owes it.
    with Session(moving.commerce) as s:
        assert money_db.owed(s, "migration_clearing") == order["total_idr"] - paid_out
    both_books_balance(moving)


@pytest.fixture(name="disbursing")
def disbursing_fixture(moving: Moving) -> tuple[DisbursingService, SimulatorPayouts]:
    """Commerce paying out through the simulator's disbursements (callbacks read by hand)."""
    sim = SimulatorPayouts(moving.legacy.sim.app, moving.legacy.sim.client, [])
    state = commerce_state(moving)
    return DisbursingService(state.payouts.sessions, state.clock, sim.adapter()), sim


def test_a_payout_in_transit_makes_the_rollback_wait_until_it_settles(
    moving: Moving, disbursing: tuple[DisbursingService, SimulatorPayouts]
) -> None:
    svc, sim = disbursing
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    opening = owed_in_commerce(moving, merchant)
    batch = svc.run_batch(minimum_idr=1)
    assert [p.amount_idr for p in batch.payouts if p.account.endswith(f":{merchant}")] == [opening]
    sent = {d.payout_id: d for d in svc.send_due()}
    (key,) = [d.key for d in sent.values() if d.amount_idr == opening]
    before = rows(moving.social, "SELECT route FROM merchant_routes WHERE legacy_seller_id = :s",
                  s=moving.seller_id)  # fmt: skip

    with pytest.raises(Unsettled, match="in transit"):
        moving.mover.rollback(moving.seller_id, "operator", "the seller asked")

    assert moving.move().phase == Phase.VERIFIED.value
    assert rows(moving.social, "SELECT route FROM merchant_routes WHERE legacy_seller_id = :s",
                s=moving.seller_id) == before  # fmt: skip
    assert one(moving.commerce, f"SELECT selling FROM merchants WHERE id = {merchant}")
    headers, body = sim.finish(key)
    done = svc.notified(headers, body)
    assert done is not None and done.status == "completed"

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )
    assert app_balance(moving)[1] == 0  # all of it was paid out, in commerce
    both_books_balance(moving)


def partly_refunded_and_rolled_back(moving: Moving) -> tuple[dict[str, Any], int, int]:
    """An order placed and paid in commerce, one line and the shipping refunded there, taken
    back to the app: the order, its id in the app, and what is left of it."""
    order, lines = an_order_of_two_products(moving)
    paid_in_commerce(moving, order)
    left = order["total_idr"] - refund_in_commerce(moving, order, lines[0])
    assert left == lines[1]["price"]
    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )
    legacy_order = one(
        moving.social, "SELECT id FROM legacy_orders WHERE number = :n", n=order["number"]
    )
    refunded = rows(
        moving.social,
        "SELECT title, quantity, refunded_quantity FROM legacy_order_lines WHERE order_id = :o",
        o=legacy_order,
    )
    assert sorted(refunded) == sorted([(lines[0]["title"], 1, 1), (lines[1]["title"], 1, 0)])
    return order, legacy_order, left


def cancelled_by_the_seller_in_the_app(moving: Moving, legacy_order: int) -> list[Any]:
    """The seller cancels a paid order in the app: the refunds it asked for there, each as
    (the partner's id of the payment refunded, amount, status)."""
    r = moving.legacy.social.post(
        f"/legacy/api/seller/orders/{legacy_order}/cancel",
        json={"reason": "Stok habis"},
        headers=bearer(moving.seller),
    )
    assert r.status_code == 200, r.text
    return rows(
        moving.social,
        "SELECT partner_order_id, amount_idr, status FROM legacy_refunds"
        " WHERE order_id = :o AND kind = 'order' ORDER BY id",
        o=legacy_order,
    )


def test_an_order_partly_refunded_in_commerce_completes_in_the_app_on_what_is_left(
    moving: Moving,
) -> None:
    _, legacy_order, left = partly_refunded_and_rolled_back(moving)
    fee_bp = one(
        moving.social, f"SELECT platform_fee_bp FROM legacy_orders WHERE id = {legacy_order}"
    )
    fee = left * fee_bp // 10_000  # on the goods left: the refunded line is not charged
    app = moving.legacy.social
    r = app.post(f"/legacy/api/seller/orders/{legacy_order}/ship",
                 json={"tracking_number": "JNE888"}, headers=bearer(moving.seller))  # fmt: skip
    assert r.status_code == 200, r.text
    r = app.post(
        f"/legacy/api/seller/orders/{legacy_order}/delivered", headers=bearer(moving.seller)
    )
    assert r.status_code == 200, r.text
    moving.legacy.system.clock.advance(days=4)
    assert moving.legacy.shop.run_jobs()["completed"] >= 1

    assert one(moving.social, f"SELECT status FROM legacy_orders WHERE id = {legacy_order}") == (
        "completed"
    )
    money = order_money_in_app(moving, legacy_order)
    assert money["escrow"] == 0  # what was left, divided; nothing more
    assert money["seller_payable"] == -(left - fee)
    assert money.get("platform_fees", 0) == -fee
    both_books_balance(moving)


def test_an_order_partly_refunded_in_commerce_is_refunded_in_the_app_only_for_what_is_left(
    moving: Moving,
) -> None:
    order, legacy_order, left = partly_refunded_and_rolled_back(moving)
    refunds = cancelled_by_the_seller_in_the_app(moving, legacy_order)
    assert refunds == [(order["number"], left, "succeeded")]
    assert order_money_in_app(moving, legacy_order) == {"escrow": 0, "partner_clearing": 0}
    at_partner = moving.legacy.sim.partner.status(order["number"])
    assert at_partner.refunded_amount == order["total_idr"]  # once, in two parts
    both_books_balance(moving)
