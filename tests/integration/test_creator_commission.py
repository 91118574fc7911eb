"""The seller sets a product's creator commission in the seller center; it applies from the next
order on (an order keeps the rate it was placed with), and the creator reads the result on
their own page in social."""

from typing import Any

import pytest

from tests.integration.conftest import System, bearer
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import LISTING, page, post, shop_products
from tests.integration.seller_pages import sign_in as seller_signs_in
from tests.integration.test_creator_pages import PASSWORD, dashboard, shown
from tests.integration.test_creator_pages import sign_in as creator_signs_in
from tests.integration.test_money import PRICE, Shop

QUANTITY = 2  # each completed order of the Shop helper
GOODS = PRICE * QUANTITY


@pytest.fixture
def shop(system: System, partner: SimulatorHarness) -> Shop:
    shop = Shop(system, partner)
    seller_signs_in(system, shop.merchant)
    return shop


def set_commission(shop: Shop, typed: str) -> Any:
    form = LISTING | {"price_idr": str(PRICE), "stock": "20", "commission": typed}
    return post(shop.system, f"/seller/products/{shop.product['id']}/edit", form)


def pending(shop: Shop) -> int:
    return int(shop.system.creator_figures(shop.c)["commission"]["pending_idr"])


def complete(shop: Shop, order: dict[str, Any]) -> None:
    assert shop.seller(f"{order['id']}/ship", tracking_number="JNE-12345678").status_code == 200
    assert shop.seller(f"{order['id']}/deliver").status_code == 200
    r = shop.system.commerce.post(f"/api/orders/{order['id']}/received", headers=order["auth"])
    assert r.status_code == 200, r.text


def test_the_commission_set_in_the_seller_center_applies_to_the_next_order(shop: Shop) -> None:
    assert set_commission(shop, "5").status_code == 303
    assert shop_products(shop.system)[0].commission_bp == 500
    listed = page(shop.system, "/seller/products")
    assert '<td class="num" data-testid="commission">5%</td>' in listed.text
    form = page(shop.system, f"/seller/products/{shop.product['id']}/edit")
    assert 'id="commission" name="commission" value="5"' in form.text

    placed_at_five = shop.paid_order(QUANTITY)
    assert pending(shop) == 0  # commission is booked when an order completes

    assert set_commission(shop, "12,5").status_code == 303
    assert shop_products(shop.system)[0].commission_bp == 1_250
    shop.completed_order(QUANTITY)
    assert pending(shop) == GOODS * 125 // 1000

    # The order placed before the change keeps its 5% when it completes.
    complete(shop, placed_at_five)
    total = GOODS * 125 // 1000 + GOODS * 5 // 100
    assert pending(shop) == total

    # The creator reads it on their own page in social.
    r = shop.system.social.put(
        "/api/creators/me/password", json={"password": PASSWORD}, headers=bearer(shop.creator)
    )
    assert r.status_code == 204
    creator_signs_in(shop.system, shop.creator["handle"])
    mine = dashboard(shop.system).text
    assert shown(mine, "orders") == "2"
    assert shown(mine, "commission-pending") == "Rp" + f"{total:,}".replace(",", ".")


@pytest.mark.parametrize("typed", ["60", "lima", "-1", "2,555"])
def test_an_unreadable_or_too_high_commission_is_refused_in_indonesian(
    shop: Shop, typed: str
) -> None:
    refused = set_commission(shop, typed)
    assert refused.status_code == 422
    assert 'data-testid="error-commission"' in refused.text
    assert "Isi komisi kreator dalam persen, 0 sampai 50" in refused.text
    assert f'value="{typed}"' in refused.text  # what was typed is kept
    assert shop_products(shop.system)[0].commission_bp == 1_000  # unchanged (the Shop's 10%)
