"""The seller center's pages, orders: another shop's things are not found; a merchant ships,
delivers and cancels its own orders (an illegal step shows why and changes nothing), its
dashboard counts them, it reads a paid order's invoice and refunds part of an order then the
rest."""

import re

from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.seller_pages import (
    LISTING,
    mark_paid,
    page,
    paid_through_partner,
    placed_order,
    post,
    shop_products,
    sign_in,
    status_of,
)


def test_another_shops_product_and_order_are_not_found(system: System) -> None:
    owner, other = system.merchant(), system.merchant("kopi-gayo", "Kopi Gayo")
    order = placed_order(system, owner)
    mark_paid(system, order)
    product_id = order["lines"][0]["product_id"]
    sign_in(system, other)
    for path in (
        f"/seller/products/{product_id}/edit",
        f"/seller/orders/{order['id']}",
        f"/seller/orders/{order['id']}/invoice",
        "/seller/products/999999/edit",
        "/seller/orders/not-a-number",
    ):
        r = page(system, path)
        assert r.status_code == 404, path
        assert 'data-testid="error"' in r.text and "Kopi Gayo" in r.text
    assert post(system, f"/seller/products/{product_id}/edit", LISTING).status_code == 404
    shipped = post(system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-123456"})
    assert shipped.status_code == 404
    assert status_of(system, order["id"]) == "paid"
    assert shop_products(system)[0].title == "Kemeja Batik Tulis"
    assert f'data-order-id="{order["id"]}"' not in page(system, "/seller/orders").text


def test_a_merchant_ships_and_delivers_an_order_from_its_pages(system: System) -> None:
    merchant = system.merchant()
    order = placed_order(system, merchant)
    mark_paid(system, order)
    sign_in(system, merchant)
    to_ship = page(system, "/seller/orders?status=paid").text
    assert f'data-order-id="{order["id"]}"' in to_ship
    assert (
        f'data-order-id="{order["id"]}"' not in page(system, "/seller/orders?status=shipped").text
    )
    detail = page(system, f"/seller/orders/{order['id']}")
    assert order["number"] in detail.text and "Nomor resi" in detail.text
    shipped = post(
        system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-1234567890"}
    )
    assert (shipped.status_code, shipped.headers["location"]) == (
        303,
        f"/seller/orders/{order['id']}",
    )
    detail = page(system, f"/seller/orders/{order['id']}").text
    assert 'data-status="shipped"' in detail and "JNE-1234567890" in detail
    assert post(system, f"/seller/orders/{order['id']}/deliver").status_code == 303
    assert status_of(system, order["id"]) == "delivered"


def test_an_illegal_step_shows_the_reason_and_changes_nothing(system: System) -> None:
    merchant = system.merchant()
    order = placed_order(system, merchant)
    sign_in(system, merchant)
    unpaid_ship = post(
        system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "JNE-123456"}
    )
    assert unpaid_ship.status_code == 409
    assert 'data-testid="problem"' in unpaid_ship.text
    assert "“Menunggu pembayaran” tidak bisa diubah menjadi “Dikirim”" in unpaid_ship.text
    assert 'data-status="awaiting_payment"' in unpaid_ship.text
    mark_paid(system, order)
    early = post(system, f"/seller/orders/{order['id']}/deliver")
    assert early.status_code == 409
    assert "“Dibayar” tidak bisa diubah menjadi “Tiba di tujuan”" in early.text
    bad_tracking = post(system, f"/seller/orders/{order['id']}/ship", {"tracking_number": "x"})
    assert bad_tracking.status_code == 422
    assert "Nomor resi harus 6 sampai 64 huruf, angka atau &#39;-&#39;." in bad_tracking.text
    assert status_of(system, order["id"]) == "paid"


def test_a_merchant_cancels_with_a_reason_and_the_stock_comes_back(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    sign_in(system, merchant)
    path = f"/seller/orders/{order['id']}/cancel"
    no_reason = post(system, path, {"reason": "  "})
    assert no_reason.status_code == 422
    assert "Tulis alasan pembatalan: pembeli membacanya." in no_reason.text
    assert post(system, path, {"reason": "Stok rusak saat dikemas"}).status_code == 303
    assert status_of(system, order["id"]) == "cancelled"
    assert shop_products(system)[0].stock == 5
    assert 'data-status="cancelled"' in page(system, f"/seller/orders/{order['id']}").text


def test_the_dashboard_counts_orders_by_status_and_paid_revenue(system: System) -> None:
    merchant = system.merchant()
    unpaid = placed_order(system, merchant, "a@example.com")
    paid = placed_order(system, merchant, "b@example.com")
    shipped = placed_order(system, merchant, "c@example.com", stock=2)
    for order in (paid, shipped):
        mark_paid(system, order)
    sign_in(system, merchant)
    post(system, f"/seller/orders/{shipped['id']}/ship", {"tracking_number": "JNE-1234567890"})
    dashboard = page(system, "/seller").text
    counts = dict(re.findall(r'data-testid="count-(\w+)">\s*<div class="figure">(\d+)<', dashboard))
    assert counts == {"awaiting_payment": "1", "paid": "1", "shipped": "1", "delivered": "0"}
    revenue = paid["total_idr"] + shipped["total_idr"]
    assert f"Rp{revenue:,}".replace(",", ".") in dashboard
    low = dashboard.split('data-testid="low-stock"')[1]
    assert low.count("<tr>") == 1 + 3  # the header and three products at 4 or 1 left
    assert unpaid["id"] != paid["id"]


def test_the_seller_reads_and_downloads_the_invoice_of_a_paid_order(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    unpaid = placed_order(system, merchant, "budi@example.com")
    sign_in(system, merchant)
    assert "/invoice.pdf" in page(system, f"/seller/orders/{order['id']}").text
    html = page(system, f"/seller/orders/{order['id']}/invoice")
    assert html.status_code == 200 and "Kemeja Batik Tulis" in html.text
    assert "Rp365.000" in html.text
    pdf = page(system, f"/seller/orders/{order['id']}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    not_yet = page(system, f"/seller/orders/{unpaid['id']}/invoice")
    assert not_yet.status_code == 409 and "Invoice terbit setelah pesanan dibayar." in not_yet.text


def test_a_merchant_refunds_part_of_an_order_then_the_rest_from_its_page(
    system: System, partner: SimulatorHarness
) -> None:
    merchant = system.merchant()
    order = paid_through_partner(system, partner, merchant)
    sign_in(system, merchant)
    path = f"/seller/orders/{order['id']}/refund"
    product_id = order["lines"][0]["product_id"]
    assert 'data-testid="refund-form"' in page(system, f"/seller/orders/{order['id']}").text
    one = {"scope": "items", f"q_{product_id}": "1", "reason": "Rusak"}
    too_many = post(system, path, one | {f"q_{product_id}": "2"})
    assert too_many.status_code == 422 and "kembalikan 1 sampai 1 barang" in too_many.text
    assert post(system, path, one | {"confirm": "1"}).status_code == 303
    detail = page(system, f"/seller/orders/{order['id']}").text
    assert 'data-testid="refunded"' in detail and "Rp350.000" in detail
    assert status_of(system, order["id"]) == "paid"  # the shipping is still the buyer's
    rest = {"scope": "all", "reason": "Ongkir juga", "confirm": "1"}
    assert post(system, path, rest).status_code == 303
    assert status_of(system, order["id"]) == "refunded"
    assert partner.partner.status(order["number"]).refunded_amount == 365_000
