"""The way back for a buyer the app never knew: after the cutover a new buyer (an account in
commerce only) comes through a creator's yellow cart and buys the moved merchant's product in
commerce; the merchant rolls back, and the order is in the app with its lines (and the creator
who brought them), stock and payment, under a viewer of that email who has no password (it
cannot log in until it sets one). An order completed in commerce comes back with its creator's
commission owed once: by the app, no longer by commerce. On SQLite and PostgreSQL."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.migration.errors import MigrationError
from keranjang.migration.phases import Phase
from tests.integration.conftest import HTML, bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import (
    both_books_balance,
    credited_in_commerce,
    legacy_order_numbered,
    order_money_in_app,
)
from tests.integration.test_checkout import ADDRESS
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

EMAIL = "baru.di.commerce@example.com"


@dataclass
class Bought:
    """An order placed in commerce after the cutover, through a creator's yellow cart."""

    creator: int
    legacy_product: int
    product: int
    order: dict[str, Any]
    buyer: dict[str, str]


def buy_through_a_creator(moving: Moving) -> Bought:
    """A creator pins a product that earns commission; the merchant moves; a buyer new to both
    follows the yellow cart into commerce and checks out two units."""
    sid, system = moving.seller_id, moving.legacy.system
    legacy_product = one(
        moving.social,
        f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 2"
        " AND commission_bp > 0",
    )
    creator = system.creator()
    content = system.content(creator)
    r = system.social.post(
        f"/api/content/{content['id']}/pins",
        json={"legacy_product_id": legacy_product},
        headers=bearer(creator),
    )
    assert r.status_code == 201, r.text
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    assert system.commerce.get(system.click_cart(r.json()["id"]), headers=HTML).status_code == 200
    product = one(
        moving.social,
        f"SELECT commerce_product_id FROM legacy_product_map WHERE legacy_product_id = {legacy_product}",
    )
    order, auth = check_out(moving, {product: 2})
    return Bought(creator["id"], legacy_product, product, order, auth)


def check_out(moving: Moving, items: dict[int, int]) -> tuple[dict[str, Any], dict[str, str]]:
    """A buyer new to commerce opens an account there and checks out `items` (commerce product
    -> quantity) of the moved merchant, paying through the simulator: its order, its auth."""
    system = moving.legacy.system
    r = system.commerce.post(
        "/api/buyers", json={"email": EMAIL, "name": "Dewi Baru", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    for product, quantity in items.items():
        r = system.commerce.put(
            f"/api/cart/items/{product}", json={"quantity": quantity}, headers=auth
        )
        assert r.status_code == 200, r.text
    state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.paying.partner = moving.legacy.sim.partner  # commerce pays through the simulator too
    r = system.commerce.post(
        "/api/checkout",
        json={"shipping_address": ADDRESS, "payment_method": "virtual_account"},
        headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    (order,) = r.json()["orders"]
    return order, auth


def complete_in_commerce(moving: Moving, order: dict[str, Any]) -> None:
    """The buyer pays on the partner's page (commerce learns it from the partner), the seller
    ships and delivers, the buyer confirms: the order completes in commerce."""
    legacy = moving.legacy
    legacy.pay(order)
    state = legacy.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.reconciliation.partner = legacy.sim.partner
    state.reconciliation.run()
    order_id = order["id"]
    commerce = legacy.system.commerce
    for step, body in (("ship", {"tracking_number": "JNE777"}), ("deliver", None)):
        r = commerce.post(f"/api/seller/orders/{order_id}/{step}", json=body,
                          headers=bearer(moving.seller))  # fmt: skip
        assert r.status_code == 200, r.text
    buyer = one(moving.commerce, f"SELECT buyer_id FROM orders WHERE id = {order_id}")
    assert state.settlement.confirm_received(buyer, order_id).status == OrderStatus.COMPLETED


def test_a_buyer_known_only_to_commerce_comes_back_with_the_rollback(moving: Moving) -> None:
    sid, system = moving.seller_id, moving.legacy.system
    bought = buy_through_a_creator(moving)
    order, product, legacy_product = bought.order, bought.product, bought.legacy_product
    bp = one(moving.commerce, f"SELECT commission_bp FROM products WHERE id = {product}")
    stock = one(moving.commerce, f"SELECT stock FROM products WHERE id = {product}")

    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    (legacy_order, viewer, total), *more = rows(
        moving.social,
        "SELECT id, viewer_id, total_idr FROM legacy_orders WHERE number = :n",
        n=order["number"],
    )
    assert not more and total == order["total_idr"]
    assert rows(moving.social, f"SELECT email, password_hash FROM viewers WHERE id = {viewer}") == [
        (EMAIL, None)
    ]
    assert rows(
        moving.social,
        "SELECT product_id, quantity, creator_id, commission_bp FROM legacy_order_lines"
        f" WHERE order_id = {legacy_order}",
    ) == [(legacy_product, 2, bought.creator, bp)]
    assert one(moving.social, f"SELECT stock FROM legacy_products WHERE id = {legacy_product}") == (
        stock
    )
    assert rows(
        moving.social,
        f"SELECT amount_idr, partner_order_id FROM legacy_payments WHERE order_id = {legacy_order}",
    ) == [(total, order["number"])]
    r = system.social.post(
        "/api/viewers/sessions", json={"email": EMAIL, "password": "rahasia-sekali"}
    )
    assert r.status_code == 401, r.text


def test_an_order_completed_in_commerce_comes_back_owing_its_creator_commission_once(
    moving: Moving,
) -> None:
    sid = moving.seller_id
    bought = buy_through_a_creator(moving)
    complete_in_commerce(moving, bought.order)
    pending = f"commission_pending:{bought.creator}"
    with Session(moving.commerce) as s:
        commission = money_db.owed(s, pending)
    assert commission > 0

    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    legacy_order = legacy_order_numbered(moving, bought.order["number"])
    owed_in_app = rows(
        moving.social,
        "SELECT p.creator_id, sum(p.amount_idr) FROM legacy_ledger_postings p JOIN"
        " legacy_ledger_entries e ON e.id = p.entry_id WHERE e.order_id = :o AND"
        " p.account = 'creator_commission' GROUP BY p.creator_id",
        o=legacy_order,
    )
    assert owed_in_app == [(bought.creator, -commission)]  # a credit: owed to the creator
    with Session(moving.commerce) as s:
        assert money_db.owed(s, pending) == 0  # handed back: commerce owes it no more
    both_books_balance(moving)


def test_an_order_completed_in_commerce_pays_its_platform_fee_once_across_both_books(
    moving: Moving,
) -> None:
    """Commerce booked the order's fee at completion; after the way back, the platform's fee
    income from that order, summed over commerce's ledger and the app's journal, is the fee
    once, and the seller's share, the creator's commission and the fee add up to the total."""
    bought = buy_through_a_creator(moving)
    complete_in_commerce(moving, bought.order)
    order_id, total = bought.order["id"], bought.order["total_idr"]
    fee_bp = one(moving.commerce, f"SELECT platform_fee_bp FROM orders WHERE id = {order_id}")
    lines = rows(
        moving.commerce,
        f"SELECT unit_price_idr * quantity, commission_bp FROM order_lines WHERE order_id = {order_id}",
    )
    fee = sum(goods * fee_bp // 10_000 for goods, _ in lines)
    commission = sum(goods * bp // 10_000 for goods, bp in lines)
    assert fee > 0 and commission > 0
    merchant = moving.move().commerce_merchant_id

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    legacy_order = legacy_order_numbered(moving, bought.order["number"])
    in_app = order_money_in_app(moving, legacy_order)
    fee_in_commerce = credited_in_commerce(moving, "platform_fees", order=order_id)
    assert fee_in_commerce - in_app.get("platform_fees", 0) == fee  # credits: income, once
    assert in_app["seller_payable"] == -(total - fee - commission)
    assert in_app["creator_commission"] == -commission
    assert in_app["partner_clearing"] == total
    with Session(moving.commerce) as s:
        assert money_db.owed(s, f"merchant_pending:{merchant}") == 0
        assert money_db.owed(s, f"merchant_payable:{merchant}") == 0
        # What commerce owes the app for the merchant, net of what it opened with, is the
        # order's total: what the app's journal says the partner holds for the order.
        assert money_db.owed(s, "migration_clearing") == total


def test_the_app_books_an_order_completed_in_commerce_with_commerce_shares_to_the_rupiah(
    moving: Moving,
) -> None:
    """Commerce takes its fee line by line, rounded down on each: on two lines of Rp10.019 at
    5% it is Rp500 + Rp500. The app takes the order back with that fee, not with one computed
    again on the goods' sum (Rp1.001), so the seller's payable in the app is what commerce
    gave it, to the rupiah."""
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    products = [
        p
        for (p,) in rows(
            moving.commerce,
            "SELECT id FROM products WHERE merchant_id = :m AND stock > 1 ORDER BY id LIMIT 2",
            m=merchant,
        )
    ]
    for product in products:
        r = moving.legacy.system.commerce.patch(
            f"/api/seller/products/{product}",
            json={"price_idr": 10_019, "commission_bp": 0},
            headers=bearer(moving.seller),
        )
        assert r.status_code == 200, r.text
    order, _ = check_out(moving, dict.fromkeys(products, 1))
    complete_in_commerce(moving, order)
    fee_bp = one(moving.commerce, f"SELECT platform_fee_bp FROM orders WHERE id = {order['id']}")
    fee = 2 * (10_019 * fee_bp // 10_000)
    assert fee < 20_038 * fee_bp // 10_000  # the sum rounds up a rupiah where the lines don't
    with Session(moving.commerce) as s:
        merchant_share = money_db.owed(s, f"merchant_pending:{merchant}") - credited_in_commerce(
            moving, f"merchant_pending:{merchant}", kind="opening"
        )
    assert merchant_share == order["total_idr"] - fee

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    legacy_order = legacy_order_numbered(moving, order["number"])
    in_app = order_money_in_app(moving, legacy_order)
    assert in_app["platform_fees"] == -fee
    assert in_app["seller_payable"] == -merchant_share
    with Session(moving.commerce) as s:
        assert money_db.owed(s, "migration_clearing") == order["total_idr"]


def test_a_rollback_whose_way_back_is_broken_is_refused_with_nothing_written(
    moving: Moving,
) -> None:
    """The rollback proves its way back first (the cutover's own proof): an order of the
    merchant's in a state the app has no word for is named, and nothing moves."""
    sid = moving.seller_id
    moving.run(Phase.VERIFIED)
    merchant = moving.move().commerce_merchant_id
    order, number = rows(moving.commerce, f"SELECT id, number FROM orders WHERE merchant_id = {merchant} ORDER BY id LIMIT 1")[0]  # fmt: skip
    with moving.commerce.begin() as c:
        c.exec_driver_sql(f"UPDATE orders SET status = 'returned' WHERE id = {order}")
    legacy_orders = one(moving.social, f"SELECT count(*) FROM legacy_orders WHERE seller_id = {sid}")  # fmt: skip

    with pytest.raises(MigrationError, match=f"the way back does not work: order {number}"):
        moving.mover.rollback(sid, "operator", "the seller asked")

    assert moving.move().phase == Phase.VERIFIED
    route = one(moving.social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {sid}")
    assert route == "commerce"  # still selling where the money is
    assert one(moving.commerce, f"SELECT selling FROM merchants WHERE id = {merchant}") in (True, 1)
    assert one(moving.social, f"SELECT count(*) FROM legacy_orders WHERE seller_id = {sid}") == (
        legacy_orders
    )


def test_a_merchant_moved_again_after_a_rollback_opens_its_escrow_anew(moving: Moving) -> None:
    """The rollback closed the first move's opening entries; moving the merchant again opens
    each open order's escrow again, under names of its own (the first move's are posted), so
    commerce holds what the app held, to the rupiah, and verification checks this move's."""
    moving.run(Phase.VERIFIED)
    merchant = moving.move().commerce_merchant_id
    paid = one(moving.commerce, f"SELECT min(id) FROM orders WHERE merchant_id = {merchant} AND status = 'paid'")  # fmt: skip
    total = one(moving.commerce, f"SELECT total_idr FROM orders WHERE id = {paid}")
    assert credited_in_commerce(moving, "escrow", order=paid) == total
    assert moving.mover.rollback(moving.seller_id, "operator", "once") is Phase.ROLLED_BACK
    assert credited_in_commerce(moving, "escrow", order=paid) == 0  # handed back to the app

    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    assert credited_in_commerce(moving, "escrow", order=paid) == total
    refs = [r for (r,) in rows(moving.commerce, f"SELECT ref FROM ledger_entries WHERE order_id = {paid} AND kind = 'opening' ORDER BY id")]  # fmt: skip
    assert refs == [f"payment:{paid}", f"payment:{paid}:move2"]
    both_books_balance(moving)
