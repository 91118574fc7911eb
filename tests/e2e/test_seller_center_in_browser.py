"""The seller center in a real browser: a newly registered shop signs in with its token, adds a
product through the form (after being told what to fix), and finds it on its public shop page."""

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RunningMarketplace


def register_shop(marketplace: RunningMarketplace, slug: str) -> str:
    operator = (marketplace.data_dir / "operator-token").read_text().strip()
    r = httpx.post(
        f"{marketplace.commerce_url}/api/merchants",
        json={"slug": slug, "name": "Tenun Ikat Sumba", "city": "Waingapu"},
        headers={"Authorization": f"Bearer {operator}"},
        timeout=10,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def test_a_shop_signs_in_adds_a_product_and_sees_it_in_its_shop(
    marketplace: RunningMarketplace, page: Page, tmp_path: Path
) -> None:
    commerce = marketplace.commerce_url
    token = register_shop(marketplace, "tenun-ikat-sumba")
    page.goto(f"{commerce}/seller")
    assert page.url == f"{commerce}/seller/login"
    page.get_by_label("Token toko").fill(token)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_test_id("shop-name")).to_contain_text("Tenun Ikat Sumba")
    page.get_by_role("link", name="Produk", exact=True).click()
    page.get_by_role("link", name="+ Tambah produk").click()
    page.get_by_label("Nama produk").fill("Kain Tenun Ikat Sumba")
    page.get_by_label("Harga (Rp)").fill("1.250.000")
    page.get_by_label("Stok").fill("tiga")
    page.get_by_label("Kategori").fill("Kain")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("error-stock")).to_be_visible()
    expect(page.get_by_label("Nama produk")).to_have_value("Kain Tenun Ikat Sumba")
    page.screenshot(path=tmp_path / "seller-form-refused.png", full_page=True)
    page.get_by_label("Stok").fill("3")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("saved")).to_be_visible()
    expect(page.get_by_test_id("products")).to_contain_text("Rp1.250.000")
    page.screenshot(path=tmp_path / "seller-products.png", full_page=True)
    page.goto(f"{commerce}/shops/tenun-ikat-sumba")
    expect(page.get_by_test_id("product-card")).to_contain_text("Kain Tenun Ikat Sumba")
