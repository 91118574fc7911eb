"""What the seller center's page tests share: signing in with the shop token, a page and a form from
the seller center's own pages, the shop's products, and orders placed, paid and paid through the
partner."""

from typing import Any

from sqlalchemy import select

from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus
from tests.integration.conftest import COMMERCE_URL, HTML, System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_checkout import buyer, checkout, put_in_cart
from tests.integration.test_paying import deliver, pay_on_partner_page, start_payment

OWN = HTML | {"origin": COMMERCE_URL}
LISTING = {
    "title": "Kemeja Batik Tulis",
    "description": "Katun primisima, dijahit tangan.",
    "price_idr": "350.000",
    "stock": "12",
    "category": "Fashion",
    "image_url": "",
    "origin_country": "ID",
}


def sign_in(system: System, merchant: dict[str, Any]) -> None:
    r = system.commerce.post(
        "/seller/login", data={"token": merchant["token"]}, headers=OWN, follow_redirects=False
    )
    assert (r.status_code, r.headers["location"]) == (303, "/seller"), r.text


def page(system: System, path: str) -> Any:
    return system.commerce.get(path, headers=HTML, follow_redirects=False)


def post(system: System, path: str, data: dict[str, str] | None = None, **headers: str) -> Any:
    return system.commerce.post(
        path, data=data or {}, headers=OWN | headers, follow_redirects=False
    )


def shop_products(system: System) -> list[ProductRow]:
    with system.commerce_engine.connect() as conn:
        return list(conn.execute(select(ProductRow).order_by(ProductRow.id)).all())  # type: ignore[arg-type]


def status_of(system: System, order_id: int) -> str:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(order_db.OrderRow.status).where(order_db.OrderRow.id == order_id))  # type: ignore[return-value]


def placed_order(
    system: System, merchant: dict[str, Any], email: str = "siti@example.com", stock: int = 5
) -> dict[str, Any]:
    product = system.product(merchant, stock=stock)
    auth = buyer(system, email)
    put_in_cart(system, auth, product["id"], 1)
    order: dict[str, Any] = checkout(system, auth).json()["orders"][0]
    return order


def mark_paid(system: System, order: dict[str, Any]) -> None:
    buying = system.commerce.app.state.commerce.buying  # type: ignore[attr-defined]
    buying.transition(order["id"], OrderStatus.PAID, "partner:test")


def paid_through_partner(
    system: System, partner: SimulatorHarness, merchant: dict[str, Any]
) -> dict[str, Any]:
    product = system.product(merchant, price_idr=350_000, stock=5)
    auth = buyer(system)
    put_in_cart(system, auth, product["id"], 1)
    order: dict[str, Any] = checkout(system, auth).json()["orders"][0]
    pay_on_partner_page(partner, start_payment(system, order, auth))
    assert (200, "order paid") in deliver(system, partner)
    return order
