"""Invoices: a paid order has exactly one, with a stable number and link, readable by its buyer
and its seller only, as JSON, a page and a PDF whose text says the same."""

import io
import re
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from keranjang.commerce.orders import db as order_db
from tests.integration.conftest import System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import (
    deliver,
    pay_on_partner_page,
    start_payment,
)

NUMBER = re.compile(r"^INV/\d{8}/KRJ/\d{10}$")


Order = tuple[dict[str, Any], dict[str, str], dict[str, str]]


def unpaid_order(system: System) -> Order:
    """An order for one Rp350.000 shirt plus Rp15.000 shipping: (order, buyer, seller) with the
    buyer's and the seller's authorization headers."""
    merchant = system.merchant()
    product = system.product(merchant, price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order = checkout(system, auth).json()["orders"][0]
    return order, auth, {"Authorization": f"Bearer {merchant['token']}"}


def paid_order(system: System, partner: SimulatorHarness) -> Order:
    order, auth, seller = unpaid_order(system)
    pay_on_partner_page(partner, start_payment(system, order, auth))
    assert (200, "order paid") in deliver(system, partner)
    return order, auth, seller


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_paid_order_has_an_invoice_whose_amounts_add_up(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, _ = paid_order(system, partner)
    r = system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=auth)
    assert r.status_code == 200, r.text
    invoice = r.json()
    assert NUMBER.match(invoice["number"])
    assert invoice["order_number"] == order["number"]
    assert invoice["lines"] == [
        {"title": "Kemeja Batik Tulis", "quantity": 1, "unit_price_idr": 350_000}
    ]
    assert invoice["subtotal_idr"] + invoice["shipping_idr"] == invoice["total_idr"] == 365_000
    assert invoice["payment_method"] == "Virtual account"
    assert invoice["seller"]["name"] == "Batik Sekar"
    assert invoice["shipping_address"]["city"] == "Bandung"

    shown = system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()
    assert shown["invoice"] == {
        "number": invoice["number"],
        "url": f"/orders/{order['id']}/invoice",
        "pdf_url": f"/orders/{order['id']}/invoice.pdf",
    }


def test_the_pdf_says_what_the_invoice_says(system: System, partner: SimulatorHarness) -> None:
    order, auth, _ = paid_order(system, partner)
    number = system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=auth).json()[
        "number"
    ]
    r = system.commerce.get(f"/api/orders/{order['id']}/invoice?format=pdf", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert number.replace("/", "-") in r.headers["content-disposition"]
    text = pdf_text(r.content)
    for expected in (number, order["number"], "Kemeja Batik Tulis", "Rp350.000", "Rp365.000"):
        assert expected in text


def test_the_seller_reads_the_same_invoice_and_strangers_learn_nothing(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, seller = paid_order(system, partner)
    mine = system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=auth).json()
    as_seller = system.commerce.get(f"/api/seller/orders/{order['id']}/invoice", headers=seller)
    assert as_seller.status_code == 200 and as_seller.json() == mine

    stranger = buyer(system, "stranger@example.com")
    assert (
        system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=stranger).status_code
        == 404
    )
    other_shop = system.merchant("toko-lain", "Toko Lain")
    r = system.commerce.get(
        f"/api/seller/orders/{order['id']}/invoice",
        headers={"Authorization": f"Bearer {other_shop['token']}"},
    )
    assert r.status_code == 404


def test_an_unpaid_order_has_no_invoice_yet(system: System, partner: SimulatorHarness) -> None:
    order, auth, _ = unpaid_order(system)
    r = system.commerce.get(f"/api/orders/{order['id']}/invoice", headers=auth)
    assert r.status_code == 409
    assert "issued once it is paid" in r.text
    assert system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()["invoice"] is None


def test_duplicated_notifications_issue_one_invoice(
    system: System, partner: SimulatorHarness
) -> None:
    partner.set_faults(duplicate=3)
    paid_order(system, partner)
    with system.commerce_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(order_db.InvoiceRow)) == 1


def test_buyer_and_seller_read_the_orders_history(
    system: System, partner: SimulatorHarness
) -> None:
    order, auth, seller = paid_order(system, partner)
    history = system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()["history"]
    assert [(h["status"], h["by"]) for h in history] == [
        ("awaiting_payment", "buyer"),
        ("paid", "partner"),
    ]
    shipped = system.commerce.post(
        f"/api/seller/orders/{order['id']}/ship",
        json={"tracking_number": "JNE-0012345678"},
        headers=seller,
    )
    assert shipped.status_code == 200, shipped.text
    later = system.commerce.get(f"/api/orders/{order['id']}", headers=auth).json()["history"]
    assert [h["status"] for h in later] == ["awaiting_payment", "paid", "shipped"]
    assert later[-1]["by"] == "merchant"
