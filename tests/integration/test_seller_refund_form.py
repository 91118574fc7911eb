"""The seller's refund form: nothing is refunded until the seller has chosen items or
everything, the amount is shown, and the money goes back only once the seller confirms it."""

from typing import Any

from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import page, post, sign_in, status_of
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import HTML, deliver, start_payment


def paid_order_of_two(system: System, partner: SimulatorHarness) -> tuple[dict[str, Any], int]:
    """A paid order of two units at Rp350.000 with Rp15.000 shipping, its seller signed in."""
    merchant = system.merchant()
    product = system.product(merchant, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 2)
    order: dict[str, Any] = checkout(system, auth).json()["orders"][0]
    payment = start_payment(system, order, auth)
    assert "Rp715.000" in partner.client.get(payment["redirect_url"], headers=HTML).text
    paid = partner.client.post(
        f"/pay/{payment['partner_transaction_id']}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )
    assert paid.status_code in (302, 303), paid.text
    assert (200, "order paid") in deliver(system, partner)
    sign_in(system, merchant)
    return order, product["id"]


def refunded_at_partner(partner: SimulatorHarness, order: dict[str, Any]) -> int:
    return partner.partner.status(order["number"]).refunded_amount


def test_a_refund_form_sent_as_it_comes_refunds_nothing(
    system: System, partner: SimulatorHarness
) -> None:
    order, product_id = paid_order_of_two(system, partner)
    path = f"/seller/orders/{order['id']}/refund"
    form = page(system, f"/seller/orders/{order['id']}").text
    assert 'name="scope" value="all"' in form and f'name="q_{product_id}" min="0"' in form
    assert 'value="0"' not in form  # no quantity is filled in for the seller
    as_it_comes = {f"q_{product_id}": "", "reason": "Rusak", "confirm": "1"}
    refused = post(system, path, as_it_comes)
    assert refused.status_code == 422
    assert "Pilih dulu yang dikembalikan" in refused.text
    no_items = post(system, path, as_it_comes | {"scope": "items"})
    assert no_items.status_code == 422 and "Isi jumlah barang" in no_items.text
    assert status_of(system, order["id"]) == "paid"
    assert refunded_at_partner(partner, order) == 0


def test_the_seller_sees_the_amount_and_confirms_before_anything_is_refunded(
    system: System, partner: SimulatorHarness
) -> None:
    order, product_id = paid_order_of_two(system, partner)
    path = f"/seller/orders/{order['id']}/refund"
    assert (
        'data-testid="refund-everything">Rp715.000'
        in page(system, f"/seller/orders/{order['id']}").text
    )  # two units and the shipping
    one = {"scope": "items", f"q_{product_id}": "1", "reason": "Rusak"}
    asked = post(system, path, one)
    assert asked.status_code == 200
    assert 'data-testid="refund-amount">Rp350.000' in asked.text
    assert 'name="confirm" value="1"' in asked.text
    assert refunded_at_partner(partner, order) == 0  # shown, not yet refunded
    assert post(system, path, one | {"confirm": "1"}).status_code == 303
    assert refunded_at_partner(partner, order) == 350_000
    everything = {"scope": "all", "reason": "Dibatalkan pembeli"}
    rest = post(system, path, everything)
    assert 'data-testid="refund-amount">Rp365.000' in rest.text  # the other unit and shipping
    assert status_of(system, order["id"]) == "paid"
    assert post(system, path, everything | {"confirm": "1"}).status_code == 303
    assert status_of(system, order["id"]) == "refunded"
    assert refunded_at_partner(partner, order) == 715_000
    assert 'data-testid="refund-form"' not in page(system, f"/seller/orders/{order['id']}").text


def test_a_shipping_only_refund_shows_the_shipping_amount(
    system: System, partner: SimulatorHarness
) -> None:
    order, _ = paid_order_of_two(system, partner)
    path = f"/seller/orders/{order['id']}/refund"
    shipping = {"scope": "items", "shipping": "1", "reason": "Terlambat"}
    assert 'data-testid="refund-amount">Rp15.000' in post(system, path, shipping).text
    assert post(system, path, shipping | {"confirm": "1"}).status_code == 303
    assert refunded_at_partner(partner, order) == 15_000
