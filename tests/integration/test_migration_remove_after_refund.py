"""A merchant rolled back after a partial refund in commerce, then moved again: commerce gets
the same refund back, not a refund of the whole order and not none. The refund keeps its units
and its shipping, the order what it refunded, its line its refunded units; the order then
completes in commerce on what is left, and both books balance. On SQLite and PostgreSQL."""

import json

from keranjang.commerce.orders.domain import OrderStatus
from keranjang.migration.phases import Phase
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import both_books_balance
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401
from tests.integration.test_migration_rollback_money import commerce_state


def test_a_partial_refund_comes_back_to_commerce_when_the_merchant_moves_again(
    moving: Moving,
) -> None:
    sid, legacy = moving.seller_id, moving.legacy
    product = one(moving.social, f"SELECT min(id) FROM legacy_products WHERE seller_id = {sid} AND stock > 3")  # fmt: skip
    order = legacy.buy(legacy.viewer("dua.barang@example.com"), {"id": product}, quantity=2)
    legacy.pay(order)
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    [(moved, shipping, line, unit)] = rows(
        moving.commerce,
        "SELECT o.id, o.shipping_idr, l.product_id, l.unit_price_idr FROM orders o"
        " JOIN order_lines l ON l.order_id = o.id WHERE o.number = :n",
        n=order["number"],
    )
    commerce_state(moving).refunds.partner = legacy.sim.partner
    r = legacy.system.commerce.post(
        f"/api/seller/orders/{moved}/refunds",
        json={"reason": "Satu rusak", "items": [{"product_id": line, "quantity": 1}],
              "shipping": True},
        headers=bearer(moving.seller),
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "succeeded", r.text
    refunded = int(r.json()["amount_idr"])
    assert shipping > 0 and refunded == unit + shipping
    assert moving.mover.rollback(sid, "operator", "the seller asked") is Phase.ROLLED_BACK

    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    [(again, refunded_idr, refunded_shipping)] = rows(
        moving.commerce,
        "SELECT id, refunded_idr, refunded_shipping_idr FROM orders WHERE number = :n",
        n=order["number"],
    )
    assert (refunded_idr, refunded_shipping) == (refunded, shipping)
    assert rows(
        moving.commerce, f"SELECT quantity, refunded_quantity FROM order_lines WHERE order_id = {again}"
    ) == [(2, 1)]  # fmt: skip
    [(amount, refund_shipping, took)] = rows(
        moving.commerce,
        f"SELECT amount_idr, shipping_idr, lines FROM refunds WHERE order_id = {again}",
    )
    new_line = one(moving.commerce, f"SELECT product_id FROM order_lines WHERE order_id = {again}")
    assert (amount, refund_shipping, json.loads(took)) == (refunded, shipping, {str(new_line): 1})

    # What is left of the order completes in commerce, out of the escrow the move opened.
    for step, body in (("ship", {"tracking_number": "JNE888"}), ("deliver", None)):
        r = legacy.system.commerce.post(
            f"/api/seller/orders/{again}/{step}", json=body, headers=bearer(moving.seller)
        )
        assert r.status_code == 200, r.text
    buyer = one(moving.commerce, f"SELECT buyer_id FROM orders WHERE id = {again}")
    completed = commerce_state(moving).settlement.confirm_received(buyer, again)
    assert completed.status == OrderStatus.COMPLETED
    both_books_balance(moving)
