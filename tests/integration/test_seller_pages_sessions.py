"""The seller center's pages, signing in: a merchant signs in with its shop token and sees its own
dashboard; the session is an HttpOnly cookie holding no token that ends on log-out, when the
token changes, after twelve hours or when tampered with; a form sent from another site is
refused."""

from sqlalchemy import update

from keranjang.commerce.catalog.db import MerchantRow
from keranjang.infra.clock import FixedClock
from tests.integration.conftest import COMMERCE_URL, HTML, System
from tests.integration.seller_pages import (
    LISTING,
    OWN,
    page,
    post,
    shop_products,
    sign_in,
)


def test_a_merchant_signs_in_with_its_shop_token_and_sees_its_own_dashboard(
    system: System,
) -> None:
    merchant = system.merchant()
    assert page(system, "/seller").headers["location"] == "/seller/login"
    sign_in(system, merchant)
    cookie = next(c for c in system.commerce.cookies.jar if c.name == "kj_seller")
    assert merchant["token"] not in cookie.value
    assert (cookie.path, cookie.secure) == ("/seller", False)
    assert cookie.has_nonstandard_attr("HttpOnly")
    dashboard = page(system, "/seller")
    assert dashboard.status_code == 200
    assert "Batik Sekar" in dashboard.text and "Dasbor" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_samesite_lax_and_holds_no_token(system: System) -> None:
    merchant = system.merchant()
    r = system.commerce.post(
        "/seller/login", data={"token": merchant["token"]}, headers=OWN, follow_redirects=False
    )
    set_cookie = r.headers["set-cookie"].lower()
    assert (
        "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/seller" in set_cookie
    )
    assert merchant["token"].lower() not in set_cookie


def test_a_wrong_token_is_refused_on_the_login_page(system: System) -> None:
    system.merchant()
    r = post(system, "/seller/login", {"token": "not-a-shop-token"})
    assert r.status_code == 401
    assert "Token toko tidak dikenal" in r.text
    assert "kj_seller" not in system.commerce.cookies
    assert page(system, "/seller").status_code == 303


def test_logging_out_ends_the_session(system: System) -> None:
    sign_in(system, system.merchant())
    r = post(system, "/seller/logout")
    assert (r.status_code, r.headers["location"]) == (303, "/seller/login")
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_session_ends_when_the_shop_token_is_no_longer_the_shops(system: System) -> None:
    merchant = system.merchant()
    sign_in(system, merchant)
    assert page(system, "/seller").status_code == 200
    with system.commerce_engine.begin() as conn:  # the token is rotated (no API does this yet)
        conn.execute(update(MerchantRow).values(token_hash="0" * 64))
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_session_ends_after_twelve_hours(system: System, clock: FixedClock) -> None:
    sign_in(system, system.merchant())
    clock.advance(hours=11, minutes=59)
    assert page(system, "/seller").status_code == 200
    clock.advance(minutes=2)
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_tampered_session_cookie_is_not_a_session(system: System) -> None:
    sign_in(system, system.merchant())
    value = system.commerce.cookies["kj_seller"]
    forged = value[:-2] + ("B" if value[-2] == "A" else "A") + value[-1]
    system.commerce.cookies.set("kj_seller", forged, domain="commerce.test", path="/seller")
    assert page(system, "/seller").headers["location"] == "/seller/login"


def test_a_form_sent_from_another_site_is_refused_and_changes_nothing(system: System) -> None:
    merchant = system.merchant()
    sign_in(system, merchant)
    listing = LISTING | {"title": "Dari situs lain"}
    refused = post(system, "/seller/products/new", listing, origin="https://evil.example")
    assert refused.status_code == 403 and "Pusat Penjual" in refused.text
    nameless = system.commerce.post(
        "/seller/products/new", data=listing, headers=HTML, follow_redirects=False
    )
    assert nameless.status_code == 403
    assert shop_products(system) == []
    login = post(system, "/seller/login", {"token": merchant["token"]}, origin="null")
    assert login.status_code == 403
    from_own_page = system.commerce.post(
        "/seller/products/new",
        data=listing,
        headers=HTML | {"referer": f"{COMMERCE_URL}/seller/products/new"},
        follow_redirects=False,
    )
    assert from_own_page.status_code == 303
    assert [p.title for p in shop_products(system)] == ["Dari situs lain"]
