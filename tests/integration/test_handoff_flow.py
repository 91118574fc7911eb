"""The yellow cart end to end, in-process, on SQLite and PostgreSQL."""

import threading
from urllib.parse import parse_qs, urlsplit

import jwt
from sqlalchemy import func, select

from keranjang.commerce.attribution.db import AttributionRow
from tests.integration.conftest import HTML, System


def attributions(system: System) -> list[AttributionRow]:
    with system.commerce_engine.connect() as conn:
        return list(conn.execute(select(AttributionRow.__table__)))  # type: ignore[arg-type]


def test_a_yellow_cart_click_lands_on_the_product_page_and_is_attributed(system: System) -> None:
    pin = system.pinned_product(campaign="gajian-maret")
    page = system.commerce.get(system.click_cart(pin["id"]), headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="product-page"' in page.text
    assert pin["product"]["title"] in page.text
    [row] = attributions(system)
    content = system.social.get(f"/api/content/{pin['content_id']}").json()
    assert (row.creator_id, row.content_id, row.pin_id) == (
        content["creator"]["id"],
        content["id"],
        pin["id"],
    )
    assert (row.product_id, row.merchant_id) == (
        pin["product"]["product_id"],
        pin["product"]["merchant_id"],
    )
    assert row.campaign == "gajian-maret"


def test_opening_the_same_handoff_again_is_refused_and_counted_once(system: System) -> None:
    pin = system.pinned_product()
    path = system.click_cart(pin["id"])
    assert system.commerce.get(path, headers=HTML).status_code == 200
    again = system.commerce.get(path, headers=HTML)
    assert again.status_code == 410
    assert 'data-reason="replayed"' in again.text
    assert len(attributions(system)) == 1


def test_each_click_is_a_new_handoff(system: System) -> None:
    pin = system.pinned_product()
    for _ in range(3):
        assert system.commerce.get(system.click_cart(pin["id"]), headers=HTML).status_code == 200
    figures = system.creator_figures(attributions(system)[0].creator_id)
    assert figures["handoffs"] == 3


def test_an_expired_handoff_is_refused(system: System) -> None:
    pin = system.pinned_product()
    path = system.click_cart(pin["id"])
    system.clock.advance(minutes=5)
    refused = system.commerce.get(path, headers=HTML)
    assert refused.status_code == 410
    assert 'data-reason="expired"' in refused.text
    assert attributions(system) == []


def test_a_tampered_handoff_is_refused_with_a_clear_page(system: System) -> None:
    pin = system.pinned_product()
    token = parse_qs(urlsplit(system.click_cart(pin["id"])).query)["token"][0]
    header, payload, signature = token.split(".")
    tampered = (
        f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    )
    refused = system.commerce.get(f"/handoff?token={tampered}", headers=HTML)
    assert refused.status_code in (400, 401)
    assert 'data-testid="error"' in refused.text
    assert attributions(system) == []


def test_garbage_and_missing_tokens_get_a_4xx_not_a_500(system: System) -> None:
    for path in ["/handoff", "/handoff?token=", "/handoff?token=abc", "/handoff?token=a.b.c"]:
        refused = system.commerce.get(path, headers=HTML)
        assert 400 <= refused.status_code < 500, path
        assert 'data-testid="error"' in refused.text
    api = system.commerce.get("/handoff?token=abc")
    assert api.json()["reason"] == "malformed"


def test_a_handoff_naming_another_merchants_product_is_refused(system: System) -> None:
    pin = system.pinned_product()
    other = system.merchant("kopi-gayo", "Kopi Gayo")
    token = parse_qs(urlsplit(system.click_cart(pin["id"])).query)["token"][0]
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["merchant"] = other["id"]
    forged = jwt.encode(
        claims, system.key.private_key, algorithm="EdDSA", headers={"kid": system.key.kid}
    )
    refused = system.commerce.get(f"/handoff?token={forged}")
    assert refused.status_code == 400
    assert refused.json()["reason"] == "merchant_mismatch"
    assert attributions(system) == []


def test_a_token_raced_by_many_browsers_is_redeemed_exactly_once(system: System) -> None:
    pin = system.pinned_product()
    path = system.click_cart(pin["id"])
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def open_link() -> None:
        start.wait()
        status = system.commerce.get(path).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=open_link) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [410] * 7
    with system.commerce_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AttributionRow)) == 1


def test_after_social_rotates_its_key_old_and_new_links_both_work(system: System) -> None:
    from keranjang.handoff import SigningKey

    pin = system.pinned_product()
    assert system.commerce.get(system.click_cart(pin["id"])).status_code == 200
    in_flight = system.click_cart(pin["id"])
    system.social.app.state.service.rotate_signing_key(SigningKey.generate())  # type: ignore[attr-defined]
    assert system.commerce.get(system.click_cart(pin["id"])).status_code == 200
    assert system.commerce.get(in_flight).status_code == 200
