"""Searching and browsing the shop as a shopper does, on SQLite and PostgreSQL: the header's
search box (`/search?q=`), words found in a product's title, description or shop name, category
pages, the four orders, pages of results, and clear pages for what cannot be shown."""

import re
from typing import Any

from tests.integration.conftest import HTML, System

CARD = re.compile(r'href="/products/(\d+)" data-testid="product-card"')


def shown(system: System, path: str, **params: object) -> list[int]:
    r = system.commerce.get(path, params=params, headers=HTML)
    assert r.status_code == 200, r.text
    return [int(i) for i in CARD.findall(r.text)]


def ids(*products: dict[str, Any]) -> set[int]:
    return {p["id"] for p in products}


def market(system: System) -> dict[str, dict[str, Any]]:
    sekar = system.merchant("batik-sekar", "Batik Sekar")
    dapur = system.merchant("dapur-nenek", "Dapur Nenek")
    made = {
        "tulis": system.product(sekar, title="Kemeja Batik Tulis", price_idr=350_000),
        "kawung": system.product(
            sekar, title="Kain Kawung", description="Batik cap dari Solo", price_idr=150_000
        ),
        "sambal": system.product(dapur, title="Sambal Roa", category="Makanan", price_idr=45_000),
        "keripik": system.product(
            dapur, title="Keripik Tempe", category="Makanan", price_idr=20_000
        ),
    }
    return made


def test_search_finds_words_in_title_description_and_shop_name(system: System) -> None:
    made = market(system)
    # The title of one, the description of another; the shop's name brings all its products.
    assert set(shown(system, "/search", q="batik")) == ids(made["tulis"], made["kawung"])
    assert set(shown(system, "/search", q="BATIK")) == ids(made["tulis"], made["kawung"])
    assert set(shown(system, "/search", q="nenek")) == ids(made["sambal"], made["keripik"])
    # Every word must match; a word matches as the start of one ("bati" is typed on the way).
    assert shown(system, "/search", q="batik tulis") == [made["tulis"]["id"]]
    assert set(shown(system, "/search", q="bati")) == ids(made["tulis"], made["kawung"])
    assert shown(system, "/search", q="rendang") == []
    page = system.commerce.get("/search", params={"q": "rendang"}, headers=HTML)
    assert 'data-testid="no-results"' in page.text and "Tidak ada produk yang cocok" in page.text
    # Characters that mean something to LIKE or to tsquery are only characters.
    assert shown(system, "/search", q="%_ & | ! :*") == []
    assert set(shown(system, "/search", q="batik!")) == ids(made["tulis"], made["kawung"])


def test_a_search_typed_on_the_storefront_goes_to_the_results(system: System) -> None:
    made = market(system)
    r = system.commerce.get("/", params={"q": " sambal "}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/search?q=sambal"
    assert shown(system, "/", q="sambal") == [made["sambal"]["id"]]
    page = system.commerce.get("/search", params={"q": "sambal"}, headers=HTML).text
    assert 'value="sambal"' in page  # the box keeps what was typed


def test_results_sort_by_price_either_way_newest_and_relevance(system: System) -> None:
    made = market(system)
    cheap_first = shown(system, "/search", q="batik", sort="termurah")
    assert cheap_first == [made["kawung"]["id"], made["tulis"]["id"]]
    assert shown(system, "/search", q="batik", sort="termahal") == cheap_first[::-1]
    # Relevance: the word in the title counts more than in the description.
    assert shown(system, "/search", q="batik")[0] == made["tulis"]["id"]
    system.clock.advance(minutes=5)
    newest = system.product(system.merchant("tenun-baru", "Tenun Baru"), title="Batik Baru")
    assert shown(system, "/search", q="batik", sort="terbaru")[0] == newest["id"]


def test_category_pages_show_their_category_only(system: System) -> None:
    made = market(system)
    assert set(shown(system, "/categories/Makanan")) == ids(made["sambal"], made["keripik"])
    assert shown(system, "/categories/Makanan", sort="termurah") == [
        made["keripik"]["id"],
        made["sambal"]["id"],
    ]
    assert set(shown(system, "/categories/Fashion")) == ids(made["tulis"], made["kawung"])
    storefront = system.commerce.get("/", headers=HTML).text
    assert 'href="/categories/Makanan"' in storefront and 'href="/categories/Fashion"' in storefront
    missing = system.commerce.get("/categories/Mainan", headers=HTML)
    assert missing.status_code == 404 and "Kategori “Mainan” tidak ada" in missing.text


def test_results_come_a_page_at_a_time_and_the_storefront_shows_one_page(system: System) -> None:
    shop = system.merchant("grosir", "Grosir Kain")
    made = [system.product(shop, title=f"Kain Batik {n}", price_idr=10_000 + n) for n in range(30)]
    first = shown(system, "/search", q="kain", sort="termurah")
    second = shown(system, "/search", q="kain", sort="termurah", page=2)
    assert len(first) == 24 and len(second) == 6
    assert first + second == [p["id"] for p in made]  # no product twice, none left out
    page = system.commerce.get("/search", params={"q": "kain", "page": 2}, headers=HTML).text
    assert "halaman 2 dari 2" in page and 'data-testid="page-prev"' in page
    assert shown(system, "/search", q="kain", page=3) == []

    home = system.commerce.get("/", headers=HTML).text
    assert len(CARD.findall(home)) == 24 and 'data-testid="more-products"' in home
    assert len(shown(system, "/shops/grosir")) == 24
    assert len(shown(system, "/shops/grosir", page=2)) == 6


def test_what_cannot_be_shown_gets_a_page_saying_what_to_fix(system: System) -> None:
    market(system)
    for params, says in [
        ({"q": "batik", "sort": "acak"}, "Urutan “acak” tidak dikenal"),
        ({"q": "batik", "page": "dua"}, "Nomor halaman harus angka bulat"),
        ({"q": "batik", "page": "0"}, "Halaman harus antara 1 dan 1000"),
        ({"q": "b" * 101}, "Kata pencarian terlalu panjang"),
    ]:
        r = system.commerce.get("/search", params=params, headers=HTML)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("text/html")
        assert says in r.text and 'data-testid="error"' in r.text
