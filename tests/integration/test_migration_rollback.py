"""The way back for a buyer the app never knew: after the cutover a new buyer (an account in
commerce only) comes through a creator's yellow cart and buys the moved merchant's product in
commerce; the merchant rolls back, and the order is in the app with its lines (and the creator
who brought them), stock and payment, under a viewer of that email who has no password (it
cannot log in until it sets one). An order completed in commerce comes back with its creator's
commission owed once: by the app, no longer by commerce. On SQLite and PostgreSQL."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders.domain import OrderStatus
from keranjang.migration.phases import Phase
from tests.integration.conftest import HTML, bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
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
    r = system.commerce.post(
        "/api/buyers", json={"email": EMAIL, "name": "Dewi Baru", "password": "rahasia-sekali"}
    )
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = system.commerce.put(f"/api/cart/items/{product}", json={"quantity": 2}, headers=auth)
    assert r.status_code == 200, r.text
    state = system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.paying.partner = moving.legacy.sim.partner  # commerce pays through the simulator too
    r = system.commerce.post(
        "/api/checkout",
        json={"shipping_address": ADDRESS, "payment_method": "virtual_account"},
        headers=auth | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    return Bought(creator["id"], legacy_product, product, r.json()["orders"][0], auth)


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
    sid, legacy = moving.seller_id, moving.legacy
    bought = buy_through_a_creator(moving)
    legacy.pay(bought.order)  # on the partner's page; commerce learns it from the partner
    state = legacy.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    state.reconciliation.partner = legacy.sim.partner
    state.reconciliation.run()
    order_id = bought.order["id"]
    commerce = legacy.system.commerce
    for step, body in (("ship", {"tracking_number": "JNE777"}), ("deliver", None)):
        r = commerce.post(f"/api/seller/orders/{order_id}/{step}", json=body,
                          headers=bearer(moving.seller))  # fmt: skip
        assert r.status_code == 200, r.text
    buyer = one(moving.commerce, f"SELECT buyer_id FROM orders WHERE id = {order_id}")
    assert state.settlement.confirm_received(buyer, order_id).status == OrderStatus.COMPLETED
    pending = f"commission_pending:{bought.creator}"
    with Session(moving.commerce) as s:
        commission = money_db.owed(s, pending)
    assert commission > 0

    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    legacy_order = one(
        moving.social, "SELECT id FROM legacy_orders WHERE number = :n", n=bought.order["number"]
    )
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
        debits, credits = money_db.totals(s)
        assert debits == credits
    assert one(moving.social, "SELECT sum(amount_idr) FROM legacy_ledger_postings") == 0
