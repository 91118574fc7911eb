"""The addresses a first visit stumbles on, on every service: an unknown URL answers the
service's own error page to a browser (in its frame, in Indonesian, with the right status) and
the one JSON error shape to an API client, never FastAPI's bare `{"detail": "Not Found"}`; a
malformed address (a pay page's id, a product id that is not a number) gets a page, not a raw
validation list; `/docs` and `/redoc` work without any outside asset; and a favicon."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import HTML, System
from tests.integration.payment_partners import SimulatorHarness
from tests.integration.test_oversight_dashboard import start as start_monitor

JSON = {"accept": "application/json"}


def assert_page(response: object, status: int, frame: str, says: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    text: str = response.text  # type: ignore[attr-defined]
    assert frame in text, text[:400]
    assert says in text
    assert '{"detail"' not in text


def assert_json_404(response: object) -> None:
    assert response.status_code == 404  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "NotFound" and "/docs" in body["detail"], body


def assert_docs_offline(client: TestClient) -> None:
    """/docs lists every operation of /openapi.json and loads nothing from another host."""
    docs = client.get("/docs", headers=HTML)
    assert docs.status_code == 200
    spec = client.get("/openapi.json").json()
    operations = sum(
        1
        for item in spec["paths"].values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete", "head"}
    )
    assert operations > 0
    assert docs.text.count('data-testid="operation"') == operations
    assert "<script" not in docs.text
    assert not re.search(r'(src|href)="(https?:)?//', docs.text), "an outside asset"
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code == 308 and redoc.headers["location"] == "/docs"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"


def test_commerce_answers_unknown_and_malformed_addresses_in_its_frames(system: System) -> None:
    shop = system.commerce
    assert_page(
        shop.get("/toko/tidak-ada", headers=HTML),
        404,
        "Cari di Keranjang",
        "Alamat /toko/tidak-ada tidak ada",
    )
    assert_page(
        shop.get("/products/bukan-angka", headers=HTML),
        404,
        "Cari di Keranjang",
        "tidak ada di sini",
    )
    assert_page(
        shop.get("/seller/tidak-ada", headers=HTML), 404, "Ke Pusat Penjual", "tidak ada di sini"
    )
    assert_json_404(shop.get("/toko/tidak-ada", headers=JSON))
    assert_json_404(shop.get("/api/tidak-ada", headers=HTML))  # the API's paths answer JSON
    # A method a path does not take: the JSON shape, with Allow.
    wrong = shop.delete("/catalog/products", headers=JSON)
    assert wrong.status_code == 405 and wrong.json()["error"] == "MethodNotAllowed"
    assert "GET" in wrong.headers["allow"]
    # The API keeps its documented validation shape for a malformed id.
    assert shop.get("/catalog/products/bukan-angka", headers=JSON).status_code == 422
    assert_docs_offline(shop)


def test_social_and_the_legacy_shop_answer_unknown_addresses_in_their_frames(
    system: System,
) -> None:
    social = system.social
    assert_page(
        social.get("/tidak-ada", headers=HTML),
        404,
        "Keranjang Social",
        "Alamat /tidak-ada tidak ada",
    )
    assert_page(
        social.get("/videos/bukan-angka", headers=HTML),
        404,
        "Keranjang Social",
        "tidak ada di sini",
    )
    assert_page(
        social.get("/legacy/tidak-ada", headers=HTML),
        404,
        "Kembali ke beranda",
        "Alamat /legacy/tidak-ada",
    )
    assert_json_404(social.get("/tidak-ada", headers=JSON))
    assert_docs_offline(social)


def test_a_malformed_pay_page_id_gets_the_pay_pages_own_page(sim: SimulatorHarness) -> None:
    pay = sim.client
    assert_page(pay.get("/pay/BUKAN%20ID", headers=HTML), 404, "Keranjang Pay", "tidak ada di sini")
    assert_page(pay.get("/tidak-ada", headers=HTML), 404, "Keranjang Pay", "Alamat /tidak-ada")
    assert_json_404(pay.get("/tidak-ada", headers=JSON))
    assert_docs_offline(pay)


@pytest.fixture
def monitor(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[TestClient]:
    for dash in start_monitor(database_url("oversight"), tmp_path):
        yield dash.client


def test_the_monitor_answers_unknown_addresses_in_its_frame(monitor: TestClient) -> None:
    page = monitor.get("/tidak-ada", headers=HTML)
    assert_page(page, 404, "Pemantau", "Alamat /tidak-ada tidak ada")
    assert_json_404(monitor.get("/tidak-ada", headers=JSON))
