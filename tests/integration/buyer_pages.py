"""What the buyer's page tests share: a browser's forms posted from the shop's own pages (a session
cookie, redirects), signing up, the cart, checking out and paying at the partner."""

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog.db import ProductRow
from keranjang.commerce.orders import db as order_db
from tests.integration.conftest import COMMERCE_URL, System
from tests.integration.payment_partners import SimulatorHarness

HTML = {"accept": "text/html"}
# What a browser sends with a form from the shop's own page.
SAME_ORIGIN = HTML | {"origin": COMMERCE_URL, "sec-fetch-site": "same-origin"}
PASSWORD = "rahasia-sekali"
ADDRESS = {
    "recipient": "Siti Rahma",
    "phone": "0812-3456-7890",
    "street": "Jl. Merdeka No. 17",
    "city": "Bandung",
    "postal_code": "40111",
}


def post(system: System, path: str, headers: dict[str, str] | None = None, **data: Any):  # type: ignore[no-untyped-def]
    return system.commerce.post(
        path, data=data, headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False
    )


def get(system: System, path: str) -> httpx.Response:
    return system.commerce.get(path, headers=HTML, follow_redirects=False)


def sign_up(system: System, email: str = "siti@example.com", **extra: Any) -> httpx.Response:
    r = post(system, "/signup", name="Siti Rahma", email=email, password=PASSWORD, **extra)
    assert r.status_code == 303, r.text
    return r


def add(system: System, product_id: int, quantity: int = 1) -> httpx.Response:
    return post(system, "/cart/add", product_id=product_id, quantity=quantity)


def cart_lines(system: System) -> list[tuple[int, int, int | None]]:
    with system.commerce_engine.connect() as conn:
        rows = conn.execute(
            select(
                buying_db.CartLineRow.product_id,
                buying_db.CartLineRow.quantity,
                buying_db.CartLineRow.attribution_id,
            ).order_by(buying_db.CartLineRow.product_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def checkout_key(page: httpx.Response) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def check_out(system: System, key: str | None = None, **fields: str) -> httpx.Response:
    key = key or checkout_key(get(system, "/checkout"))
    data = ADDRESS | {"method": "virtual_account", "idempotency_key": key} | fields
    return post(system, "/checkout", **data)


def batik(system: System, **fields: Any) -> dict[str, Any]:
    return system.product(system.merchant(), **({"price_idr": 350_000, "stock": 5} | fields))


def placed_order(system: System) -> tuple[dict[str, Any], httpx.Response]:
    product = batik(system)
    sign_up(system)
    add(system, product["id"])
    to_pay = check_out(system)
    assert to_pay.status_code == 303, to_pay.text
    with system.commerce_engine.connect() as conn:
        order_id = conn.scalar(select(order_db.OrderRow.id))
    return {"id": order_id, "product": product}, to_pay


def pay_at_partner(system: System, partner: SimulatorHarness, pay_url: str) -> httpx.Response:
    """As the buyer on the partner's pay page: press Bayar; the partner sends them back."""
    transaction = urlsplit(pay_url).path.rsplit("/", 1)[1]
    back = partner.client.post(
        f"/pay/{transaction}",
        data={"method": "bank_transfer"},
        headers=HTML,
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text
    return back


def sold_elsewhere(system: System, product_id: int, left: int) -> None:
    """Another buyer took stock after this buyer's cart was filled."""
    with system.commerce_engine.begin() as conn:
        conn.execute(update(ProductRow).where(ProductRow.id == product_id).values(stock=left))
