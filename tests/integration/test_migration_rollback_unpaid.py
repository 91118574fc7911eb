"""The way back for an order placed in commerce and not paid yet: the app takes it back with its
payment (the same ids at the partner), and commerce's copy is closed (`returned`), so neither
commerce's hold sweeper nor its buyer there ends at the partner the payment the app now owns:
the app's buyer pays it, once, in the app. On SQLite and PostgreSQL."""

from keranjang.migration.phases import Phase
from keranjang.payments import PaymentMethod, PaymentStatus
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import both_books_balance
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401
from tests.integration.test_migration_rollback import check_out


def test_an_unpaid_order_goes_back_payable_in_the_app_and_commerce_ends_nothing(
    moving: Moving,
) -> None:
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    product = one(
        moving.commerce,
        "SELECT min(id) FROM products WHERE merchant_id = :m AND stock > 0",
        m=merchant,
    )
    order, buyer = check_out(moving, {product: 1})
    number, total = order["number"], order["total_idr"]
    commerce = moving.legacy.system.commerce
    state = commerce.app.state.commerce  # type: ignore[attr-defined]

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    assert one(moving.commerce, f"SELECT status FROM orders WHERE id = {order['id']}") == (
        "returned"
    )
    r = commerce.post(f"/api/orders/{order['id']}/cancel", json={"reason": "batal"}, headers=buyer)
    assert r.status_code == 409, r.text
    (legacy_order, viewer), *more = rows(
        moving.social, "SELECT id, viewer_id FROM legacy_orders WHERE number = :n", n=number
    )
    assert not more
    # The app's buyer pays the order in the app: the payment commerce opened at the partner.
    payment = moving.legacy.shop.paying.start(viewer, legacy_order, PaymentMethod.VIRTUAL_ACCOUNT)
    assert (payment.partner_order_id, payment.amount_idr) == (number, total)
    assert payment.redirect_url is not None
    moving.legacy.pay({"payment": {"redirect_url": payment.redirect_url}})
    for news in moving.legacy.sim.shop.take():  # the partner's news, delivered to the app
        r = moving.legacy.social.post(
            "/legacy/payments/notifications",
            content=news.body,
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200, r.text
    assert one(moving.social, f"SELECT status FROM legacy_orders WHERE id = {legacy_order}") == (
        "paid"
    )

    # Past the hold, commerce's sweeper and its payment-end runs find nothing of it to end.
    moving.legacy.system.clock.advance(days=3)
    state.buying.release_expired_holds()
    state.payment_ends.drain()
    assert one(moving.commerce, f"SELECT status FROM orders WHERE id = {order['id']}") == (
        "returned"
    )
    assert (
        rows(moving.commerce, f"SELECT id FROM payment_ends WHERE order_id = {order['id']}") == []
    )
    assert rows(moving.commerce, f"SELECT id FROM refunds WHERE order_id = {order['id']}") == []
    assert moving.legacy.sim.partner.status(number).status is PaymentStatus.PAID
    both_books_balance(moving)


def test_an_order_paid_after_the_rollback_through_commerces_payment_is_paid_once_in_the_app(
    moving: Moving,
) -> None:
    """The buyer pays on the partner's page commerce gave it, after the rollback: the partner's
    news goes to commerce (which created the payment) and commerce only notes it; the app's own
    reconciliation asks the partner and pays the order, once, however often it runs or the news
    comes."""
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    merchant = moving.move().commerce_merchant_id
    product = one(
        moving.commerce,
        "SELECT min(id) FROM products WHERE merchant_id = :m AND stock > 0",
        m=merchant,
    )
    order, _ = check_out(moving, {product: 1})
    number, total = order["number"], order["total_idr"]
    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )
    legacy_order = one(moving.social, "SELECT id FROM legacy_orders WHERE number = :n", n=number)

    moving.legacy.pay(order)  # on the page commerce sent the buyer to
    news = moving.legacy.sim.shop.take()
    assert news and not moving.legacy.inbox.delivered  # the news went to commerce only
    commerce = moving.legacy.system.commerce
    for delivered in news:
        r = commerce.post("/payments/notifications", content=delivered.body,
                          headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 200, r.text
    status = f"SELECT status FROM legacy_orders WHERE id = {legacy_order}"
    assert one(moving.social, status) == "awaiting_payment"  # nobody told the app

    assert moving.legacy.shop.run_jobs()["reconciled"] == 1
    assert moving.legacy.shop.run_jobs()["reconciled"] == 0
    for delivered in news:  # the same news reaching the app late changes nothing
        r = moving.legacy.social.post("/legacy/payments/notifications", content=delivered.body,
                                      headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 200, r.text

    assert one(moving.social, status) == "paid"
    assert rows(
        moving.social,
        "SELECT p.account, p.amount_idr FROM legacy_ledger_postings p JOIN legacy_ledger_entries e"
        " ON e.id = p.entry_id WHERE e.order_id = :o ORDER BY p.account",
        o=legacy_order,
    ) == [("escrow", -total), ("partner_clearing", total)]
    assert (
        rows(moving.commerce, f"SELECT ref FROM ledger_entries WHERE order_id = {order['id']}")
        == []
    )
    assert one(moving.commerce, f"SELECT status FROM orders WHERE id = {order['id']}") == (
        "returned"
    )
    both_books_balance(moving)
