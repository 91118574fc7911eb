"""The legacy in-app shop as the old combined app ran it: a viewer signs up, buys in the app, pays
through the partner that social itself asked, and the seller ships; the money in social adds up
to the rupiah; the partner's news, however it comes, changes nothing twice."""

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from keranjang.payments.midtrans_wire import signature
from keranjang.social.legacy_shop import db
from tests.integration.conftest import bearer
from tests.integration.legacy_fixtures import ADDRESS, Legacy, legacy_fixture  # noqa: F401
from tests.integration.payment_partners import SERVER_KEY, midtrans_format_forgeries


def statuses(legacy: Legacy, viewer: dict[str, Any], order: dict[str, Any]) -> list[str]:
    return [e["to_status"] for e in legacy.order(viewer, order["id"])["events"]]


def test_a_viewer_buys_in_the_app_pays_through_social_and_the_seller_ships(
    legacy: Legacy,
) -> None:
    seller = legacy.seller()
    product = legacy.product(seller, title="Sambal Roa", price_idr=45_000, stock=10)
    viewer = legacy.viewer()
    legacy.put_in_cart(viewer, product, 2)

    first = legacy.checkout(viewer, key="checkout-0001")
    assert first.status_code == 201, first.text
    (order,) = first.json()["orders"]
    assert order["status"] == "awaiting_payment"
    assert order["total_idr"] == 2 * 45_000 + 15_000
    assert order["payment"]["virtual_account"]["number"]
    again = legacy.checkout(viewer, key="checkout-0001")
    assert again.status_code == 201 and again.json()["replayed"]
    assert [o["id"] for o in again.json()["orders"]] == [order["id"]]
    other = legacy.checkout(viewer, key="checkout-0001", payment_method="qris")
    assert other.status_code == 422, other.text
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["stock"] == 8

    legacy.pay(order)
    assert [a.status_code for a in legacy.inbox.answers] == [200, 200]
    assert legacy.sim.shop.take() == []  # commerce's URL heard nothing of social's payments
    paid = legacy.order(viewer, order["id"])
    assert paid["status"] == "paid"
    assert legacy.balance(seller) == {
        "seller_id": seller["id"],
        "escrow_idr": 105_000,
        "payable_idr": 0,
    }

    r = legacy.social.post(
        f"/legacy/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-0042"},
        headers=bearer(seller),
    )
    assert r.status_code == 200 and r.json()["tracking_number"] == "JNE-0042", r.text
    r = legacy.social.post(
        f"/legacy/api/seller/orders/{order['id']}/delivered", headers=bearer(seller)
    )
    assert r.status_code == 200, r.text
    r = legacy.social.post(f"/legacy/api/orders/{order['id']}/received", headers=bearer(viewer))
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    assert statuses(legacy, viewer, order) == [
        "awaiting_payment", "paid", "shipped", "delivered", "completed"
    ]  # fmt: skip
    # The platform's 5% of the goods (4.500); the seller gets the rest, shipping included.
    assert legacy.balance(seller)["escrow_idr"] == 0
    assert legacy.balance(seller)["payable_idr"] == 105_000 - 4_500
    history = legacy.social.get("/legacy/api/orders", headers=bearer(viewer)).json()
    assert [o["number"] for o in history] == [order["number"]]


def test_forged_duplicated_and_reordered_notifications_change_nothing_twice(
    legacy: Legacy,
) -> None:
    seller = legacy.seller()
    product = legacy.product(seller, price_idr=100_000, stock=5)
    viewer = legacy.viewer()
    order = legacy.buy(viewer, product)
    legacy.pay(order)
    genuine = list(legacy.inbox.delivered)
    assert {d.json()["transaction_status"] for d in genuine} == {"pending", "settlement"}

    for name, body in midtrans_format_forgeries(genuine).items():
        r = legacy.social.post("/legacy/payments/notifications", content=body)
        assert r.status_code == 400, (name, r.text)
    for d in reversed(genuine + genuine):  # every copy again, newest first
        r = legacy.social.post("/legacy/payments/notifications", content=d.body)
        assert r.status_code == 200 and r.json()["outcome"].startswith("duplicate"), r.text

    assert statuses(legacy, viewer, order) == ["awaiting_payment", "paid"]
    with legacy.engine.connect() as c:
        entries = c.scalar(select(func.count()).select_from(db.LedgerEntryRow))
        assert entries == 1
    assert legacy.balance(seller)["escrow_idr"] == order["total_idr"]


def test_a_settlement_the_partner_does_not_confirm_pays_nothing(legacy: Legacy) -> None:
    """A notification signed with the right key (a leaked key, a replay) claiming settlement of a
    payment the partner still has pending: social asks the partner, and does not pay."""
    seller = legacy.seller()
    viewer = legacy.viewer()
    order = legacy.buy(viewer, legacy.product(seller))
    (pending,) = [d.json() for d in (legacy.deliver() and legacy.inbox.delivered)]
    claim = pending | {
        "transaction_status": "settlement",
        "status_code": "200",
        "signature_key": signature(
            str(pending["order_id"]), "200", str(pending["gross_amount"]), SERVER_KEY
        ),
    }
    r = legacy.social.post("/legacy/payments/notifications", content=json.dumps(claim))
    assert r.status_code == 400 and "not confirmed" in r.json()["detail"], r.text
    assert legacy.order(viewer, order["id"])["status"] == "awaiting_payment"


def test_money_in_social_adds_up_to_the_rupiah_per_seller(legacy: Legacy) -> None:
    """Two sellers; orders paid, completed, cancelled after payment (refunded through the
    partner) and never paid (expired): escrow and payable per seller are what the orders say,
    every entry balances, and the partner holds what was paid less what went back."""
    sellers = [legacy.seller("toko-satu"), legacy.seller("toko-dua")]
    products = [
        legacy.product(sellers[0], price_idr=33_333, stock=50, commission_bp=1_000),
        legacy.product(sellers[1], price_idr=12_345, stock=50),
    ]
    viewer = legacy.viewer()
    kept: dict[int, list[dict[str, Any]]] = {s["id"]: [] for s in sellers}
    completed: dict[int, list[dict[str, Any]]] = {s["id"]: [] for s in sellers}
    for round_ in range(3):
        for seller, product in zip(sellers, products, strict=True):
            order = legacy.buy(viewer, product, quantity=round_ + 1)
            legacy.pay(order)
            kept[seller["id"]].append(order)
    # Seller one completes its first order and cancels its second (a paid order: refunded).
    s1 = sellers[0]
    first, second, _ = kept[s1["id"]]
    for step, body in (("ship", {"tracking_number": "JNE-1"}), ("delivered", None)):
        r = legacy.social.post(
            f"/legacy/api/seller/orders/{first['id']}/{step}", json=body, headers=bearer(s1)
        )
        assert r.status_code == 200, r.text
    r = legacy.social.post(f"/legacy/api/orders/{first['id']}/received", headers=bearer(viewer))
    assert r.status_code == 200, r.text
    completed[s1["id"]].append(kept[s1["id"]].pop(0))
    r = legacy.social.post(
        f"/legacy/api/seller/orders/{second['id']}/cancel",
        json={"reason": "stok rusak saat dikemas"},
        headers=bearer(s1),
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    kept[s1["id"]].remove(second)
    legacy.deliver()  # the partner's news of the refund changes nothing more
    unpaid = legacy.buy(viewer, products[1])
    legacy.system.clock.advance(minutes=31)
    assert legacy.shop.run_jobs()["expired"] == 1
    assert legacy.order(viewer, unpaid["id"])["status"] == "expired"

    for seller in sellers:
        balance = legacy.balance(seller)
        assert balance["escrow_idr"] == sum(o["total_idr"] for o in kept[seller["id"]])
        # Seller one's completed order: 1 x 33.333 goods, a 5% fee (1.666) and a creator's
        # commission only when a creator brought the buyer (none here), shipping 15.000.
        expected = sum(
            o["total_idr"] - (o["subtotal_idr"] * 500 // 10_000) for o in completed[seller["id"]]
        )
        assert balance["payable_idr"] == expected
    with legacy.engine.connect() as c:
        unbalanced = c.execute(
            select(db.LedgerPostingRow.entry_id)
            .group_by(db.LedgerPostingRow.entry_id)
            .having(func.sum(db.LedgerPostingRow.amount_idr) != 0)
        ).all()
        assert unbalanced == []
        clearing = c.scalar(
            select(func.sum(db.LedgerPostingRow.amount_idr)).where(
                db.LedgerPostingRow.account == "partner_clearing"
            )
        )
    paid_in = sum(
        o["total_idr"] for orders in (kept, completed) for os in orders.values() for o in os
    )
    assert clearing == paid_in  # the cancelled order's money went back out
    stock = legacy.social.get(f"/legacy/api/products/{products[0]['id']}").json()["stock"]
    assert stock == 50 - 1 - 3  # the cancelled order's two units are back on the shelf


def test_a_taken_email_answers_409_and_bad_input_says_what_to_fix(legacy: Legacy) -> None:
    legacy.viewer("dua@example.com")
    r = legacy.social.post(
        "/api/viewers",
        json={"email": "DUA@example.com", "name": "Dua", "password": "rahasia-sekali"},
    )
    assert r.status_code == 409, r.text
    r = legacy.social.post(
        "/api/viewers", json={"email": "tiga@example.com", "name": "Tiga", "password": "pendek"}
    )
    assert r.status_code == 422 and "password" in r.text
    viewer = legacy.viewer("empat@example.com")
    r = legacy.checkout(viewer)
    assert r.status_code == 422 and "cart is empty" in r.text
    r = legacy.social.post(
        "/legacy/api/checkout",
        json={"shipping_address": ADDRESS},
        headers=bearer(viewer),
    )
    assert r.status_code == 422 and "Idempotency-Key" in r.text
    # The sign-up left the page session cookie: it signs the viewer in without a token...
    assert legacy.social.get("/api/viewers/me").json()["email"] == "empat@example.com"
    # ...a tampered one does not, and neither does nothing at all.
    cookie = legacy.social.cookies["kj_viewer"]
    legacy.social.cookies.set("kj_viewer", cookie[:-2] + "xx")
    assert legacy.social.get("/api/viewers/me").status_code == 401
    legacy.social.cookies.clear()
    r = legacy.social.post("/legacy/api/checkout", json={"shipping_address": ADDRESS})
    assert r.status_code == 401


def test_buyer_data_is_counted_by_table_and_per_seller(legacy: Legacy) -> None:
    seller = legacy.seller()
    viewer = legacy.viewer()
    legacy.pay(legacy.buy(viewer, legacy.product(seller)))
    r = legacy.social.get("/legacy/api/admin/buyer-data", headers=legacy.system.operator())
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["by_table"]["legacy_orders"] == 1
    assert counts["by_table"]["viewers"] == 1
    assert counts["by_seller"] == [
        {"seller_id": seller["id"], "orders": 1, "buyers": 1, "payments": 1}
    ]
    assert legacy.social.get("/legacy/api/admin/buyer-data").status_code == 401


def test_an_unpaid_hold_expires_and_its_stock_goes_back(legacy: Legacy) -> None:
    seller = legacy.seller()
    product = legacy.product(seller, stock=3)
    viewer = legacy.viewer()
    order = legacy.buy(viewer, product, quantity=3)
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["stock"] == 0
    legacy.system.clock.advance(minutes=31)
    legacy.shop.run_jobs()
    assert legacy.order(viewer, order["id"])["status"] == "expired"
    assert legacy.social.get(f"/legacy/api/products/{product['id']}").json()["stock"] == 3
    key = uuid.uuid4().hex
    legacy.put_in_cart(viewer, product, 4)
    r = legacy.checkout(viewer, key=key)
    assert r.status_code == 409 and "only 3 left" in r.text
    assert legacy.checkout(viewer, key=key).status_code == 409  # the same answer on a retry
