"""The buyer's pages, signing up and in: an HttpOnly session that logging out revokes, a return to
where the buyer was going (never off the shop), mistakes shown next to their fields, and forms
another site posts refused. On SQLite and PostgreSQL."""

import pytest

from keranjang.commerce.web.pages.buyer.guard import SESSION_COOKIE
from tests.integration.buyer_pages import HTML, PASSWORD, batik, cart_lines, get, post, sign_up
from tests.integration.conftest import COMMERCE_URL, System


def test_signing_up_keeps_an_httponly_lax_session_and_logging_out_ends_it(system: System) -> None:
    r = sign_up(system)
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    cart = get(system, "/cart")
    assert cart.status_code == 200 and 'data-testid="logout"' in cart.text
    assert cart.headers["cache-control"] == "no-store"

    token = system.commerce.cookies[SESSION_COOKIE]
    out = post(system, "/logout")
    assert out.status_code == 303 and SESSION_COOKIE not in system.commerce.cookies
    assert get(system, "/cart").headers["location"] == "/login?next=/cart"
    # The session is revoked, not only forgotten by this browser: its token no longer works.
    stolen = system.commerce.get("/api/cart", headers={"Authorization": f"Bearer {token}"})
    assert stolen.status_code == 401


def test_the_session_cookie_is_secure_on_https(system: System) -> None:
    secure = system.commerce.post(
        "https://commerce.test/signup",
        data={"name": "Siti", "email": "siti@example.com", "password": PASSWORD},
        headers=HTML | {"origin": "https://commerce.test"},
        follow_redirects=False,
    )
    assert secure.status_code == 303
    assert "Secure" in secure.headers["set-cookie"]


def test_logging_in_returns_to_where_the_buyer_was_going(system: System) -> None:
    sign_up(system)
    post(system, "/logout")
    asked = get(system, "/orders?page=2")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=/orders%3Fpage%3D2"
    login = get(system, asked.headers["location"])
    assert 'name="next" value="/orders?page=2"' in login.text
    r = post(system, "/login", email="SITI@example.com", password=PASSWORD, next="/orders?page=2")
    assert r.status_code == 303 and r.headers["location"] == "/orders?page=2"
    assert get(system, "/orders").status_code == 200


def test_a_wrong_password_is_refused_and_the_email_kept(system: System) -> None:
    sign_up(system)
    post(system, "/logout")
    r = post(system, "/login", email="siti@example.com", password="bukan-sandinya", next="/")
    assert r.status_code == 401
    assert "Email atau kata sandi salah" in r.text
    assert 'value="siti@example.com"' in r.text and "bukan-sandinya" not in r.text
    assert SESSION_COOKIE not in system.commerce.cookies


def test_sign_up_mistakes_are_shown_next_to_their_fields_and_input_kept(system: System) -> None:
    r = post(system, "/signup", name="Siti Rahma", email="siti-at-example", password="pendek")
    assert r.status_code == 422
    assert 'data-testid="error-email"' in r.text and 'data-testid="error-password"' in r.text
    assert "minimal 10 karakter" in r.text
    assert 'value="Siti Rahma"' in r.text and 'value="siti-at-example"' in r.text
    sign_up(system)
    post(system, "/logout")
    again = post(system, "/signup", name="Siti", email="siti@example.com", password=PASSWORD)
    assert again.status_code == 422 and "sudah terdaftar" in again.text


@pytest.mark.parametrize(
    "hostile", ["https://evil.test/", "//evil.test/", "/\\evil.test", "/\t/evil.test"]
)
def test_next_never_leads_off_the_shop(system: System, hostile: str) -> None:
    r = sign_up(system, next=hostile)
    assert r.headers["location"] == "/"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.test"},
        {"sec-fetch-site": "same-site", "origin": "http://social.test"},
        {"origin": "https://evil.test"},
        {"origin": "null"},
        {"referer": "https://evil.test/page"},
        {},
    ],
    ids=["cross-site", "same-site", "other-origin", "null-origin", "other-referer", "no-header"],
)
def test_a_form_another_site_posts_is_refused_and_changes_nothing(
    system: System, headers: dict[str, str]
) -> None:
    product = batik(system)
    sign_up(system)
    refused = post(system, "/cart/add", HTML | headers, product_id=product["id"], quantity=1)
    assert refused.status_code == 403
    assert "tidak dikirim dari halaman Keranjang" in refused.text
    assert cart_lines(system) == []
    login = post(system, "/login", HTML | headers, email="siti@example.com", password=PASSWORD)
    assert login.status_code == 403 and "set-cookie" not in login.headers


def test_a_form_from_the_shop_counts_by_origin_or_referer_too(system: System) -> None:
    product = batik(system)
    sign_up(system)
    by_origin = post(system, "/cart/add", HTML | {"origin": COMMERCE_URL}, product_id=product["id"])
    by_referer = post(
        system,
        "/cart/add",
        HTML | {"referer": f"{COMMERCE_URL}/products/1"},
        product_id=product["id"],
    )
    assert by_origin.status_code == by_referer.status_code == 303
    assert cart_lines(system) == [(product["id"], 2, None)]
