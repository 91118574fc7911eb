"""A creator's own pages in social: sign-in with a password (throttled, refused from another
origin), their content and pins, their e-commerce permission, and their figures, which social
reads from commerce's aggregate endpoint with its own token; that endpoint answers nobody else."""

from typing import Any

from tests.integration.conftest import FIGURES, HTML, OPERATOR, SOCIAL_URL, System, bearer

PASSWORD = "kata-sandi-kreator"
OWN = HTML | {"origin": SOCIAL_URL}


def creator_with_password(system: System, handle: str = "rina.masak") -> dict[str, Any]:
    r = system.social.post(
        "/api/creators",
        json={"handle": handle, "display_name": handle.title(), "password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def permit(system: System, creator: dict[str, Any]) -> None:
    r = system.social.put(
        f"/api/creators/{creator['id']}/ecommerce-permission",
        json={"permitted": True},
        headers=system.operator(),
    )
    assert r.status_code == 200, r.text


def sign_in(system: System, handle: str, password: str = PASSWORD) -> Any:
    return system.social.post(
        "/kreator/masuk",
        data={"handle": handle, "password": password},
        headers=OWN,
        follow_redirects=False,
    )


def dashboard(system: System) -> Any:
    return system.social.get("/kreator", headers=HTML, follow_redirects=False)


def shown(page: str, testid: str) -> str:
    """The text of the first element carrying `data-testid`."""
    start = page.index(f'data-testid="{testid}"')
    return page[page.index(">", start) + 1 : page.index("<", start)].strip()


def pinned_by(system: System, creator: dict[str, Any], title: str) -> dict[str, Any]:
    merchant = system.merchant(f"toko-{creator['handle'].replace('.', '-')}", "Toko")
    product = system.product(merchant, title=f"Produk {title}")
    content = system.content(creator, title=title)
    return system.pin(creator, content, product)


def test_the_figures_endpoint_answers_only_socials_figures_token(system: System) -> None:
    creator = system.creator()
    path = f"/attribution/creators/{creator['id']}"
    assert system.commerce.get(path).status_code == 401
    for token in ("wrong", OPERATOR, creator["token"]):
        refused = system.commerce.get(path, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401, token
        assert "figures token" in refused.json()["detail"]
    answered = system.commerce.get(path, headers={"Authorization": f"Bearer {FIGURES}"})
    assert answered.status_code == 200 and answered.json()["creator_id"] == creator["id"]


def test_without_a_configured_token_nobody_reads_the_figures(system: System) -> None:
    settings = system.commerce.app.state.commerce.settings  # type: ignore[attr-defined]
    settings.figures_token = None
    refused = system.commerce.get("/attribution/creators/1", headers=bearer({"token": FIGURES}))
    assert refused.status_code == 403
    assert "KERANJANG_COMMERCE_FIGURES_TOKEN" in refused.json()["detail"]


def test_a_creator_signs_in_and_sees_content_pins_permission_and_figures(system: System) -> None:
    creator = creator_with_password(system)
    permit(system, creator)
    pin = pinned_by(system, creator, "Resep rendang")
    for _ in range(2):
        system.commerce.get(system.click_cart(pin["id"]), headers=HTML)

    signed = sign_in(system, "@Rina.Masak")  # as people type it
    assert (signed.status_code, signed.headers["location"]) == (303, "/kreator")
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = dashboard(system)
    assert page.status_code == 200
    assert shown(page.text, "creator-name") == "Rina.Masak"
    assert 'data-permitted="yes"' in page.text
    assert shown(page.text, "handoffs") == "2"
    assert shown(page.text, "orders") == "0"
    assert shown(page.text, "commission-pending") == "Rp0"
    assert shown(page.text, "content-handoffs") == "2"
    assert "Resep rendang" in page.text and "Produk Resep rendang" in page.text
    assert f'href="/cart/{pin["id"]}"' in page.text


def test_a_creator_sees_only_their_own_figures_and_content(system: System) -> None:
    rina, budi = creator_with_password(system), creator_with_password(system, "budi.review")
    for creator in (rina, budi):
        permit(system, creator)
    rina_pin = pinned_by(system, rina, "Resep rendang")
    budi_pin = pinned_by(system, budi, "Ulasan ponsel")
    for _ in range(3):
        system.commerce.get(system.click_cart(rina_pin["id"]), headers=HTML)
    system.commerce.get(system.click_cart(budi_pin["id"]), headers=HTML)

    sign_in(system, "budi.review")
    # No address names another creator: the page is the signed-in creator's, whatever is asked.
    page = system.social.get(f"/kreator?creator_id={rina['id']}", headers=HTML)
    assert shown(page.text, "handoffs") == "1"
    assert "Ulasan ponsel" in page.text and "Resep rendang" not in page.text

    system.social.cookies.clear()
    sign_in(system, "rina.masak")
    page = dashboard(system)
    assert shown(page.text, "handoffs") == "3"
    assert "Resep rendang" in page.text and "Ulasan ponsel" not in page.text


def test_a_creator_without_permission_is_told_so(system: System) -> None:
    creator_with_password(system)
    sign_in(system, "rina.masak")
    page = dashboard(system)
    assert 'data-permitted="no"' in page.text and "Belum aktif" in page.text


def test_a_wrong_password_is_refused_on_the_page_and_throttled(system: System) -> None:
    creator_with_password(system)
    refused = sign_in(system, "rina.masak", "bukan-sandinya")
    assert refused.status_code == 401
    assert shown(refused.text, "login-error") == "Nama pengguna atau kata sandi salah."
    assert 'value="rina.masak"' in refused.text  # what was typed is kept
    assert "kj_creator" not in refused.headers.get("set-cookie", "")
    unknown = sign_in(system, "tidak.ada")
    assert unknown.status_code == 401
    for _ in range(9):
        sign_in(system, "rina.masak", "bukan-sandinya")
    throttled = sign_in(system, "rina.masak")  # even the right password, for now
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert dashboard(system).status_code == 303


def test_the_pages_need_a_session_and_signing_out_ends_it(system: System) -> None:
    creator_with_password(system)
    away = dashboard(system)
    assert (away.status_code, away.headers["location"]) == (303, "/kreator/masuk")
    sign_in(system, "rina.masak")
    kept = dict(system.social.cookies)
    out = system.social.post("/kreator/keluar", headers=OWN, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/kreator/masuk")
    system.social.cookies.update(kept)  # the old cookie, replayed
    assert dashboard(system).status_code == 303


def test_a_sign_in_posted_from_another_origin_is_refused(system: System) -> None:
    creator_with_password(system)
    refused = system.social.post(
        "/kreator/masuk",
        data={"handle": "rina.masak", "password": PASSWORD},
        headers=HTML | {"origin": "http://commerce.test"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "tidak dikirim dari halaman Keranjang Social" in refused.text
    assert "<h1>Tidak diizinkan</h1>" in refused.text
    assert dashboard(system).status_code == 303


def test_a_new_password_from_the_api_ends_the_page_sessions(system: System) -> None:
    creator = creator_with_password(system)
    sign_in(system, "rina.masak")
    short = system.social.put(
        "/api/creators/me/password", json={"password": "pendek"}, headers=bearer(creator)
    )
    assert short.status_code == 422 and "10 sampai 200" in short.text
    assert dashboard(system).status_code == 200
    changed = system.social.put(
        "/api/creators/me/password",
        json={"password": "sandi-baru-kreator"},
        headers=bearer(creator),
    )
    assert changed.status_code == 204
    assert dashboard(system).status_code == 303
    assert sign_in(system, "rina.masak").status_code == 401
    assert sign_in(system, "rina.masak", "sandi-baru-kreator").status_code == 303


def test_a_registration_with_a_short_password_creates_nothing(system: System) -> None:
    r = system.social.post(
        "/api/creators", json={"handle": "rina.masak", "display_name": "Rina", "password": "x"}
    )
    assert r.status_code == 422
    again = creator_with_password(system)
    assert again["handle"] == "rina.masak"


def test_figures_commerce_refuses_leave_the_rest_of_the_page(system: System) -> None:
    creator = creator_with_password(system)
    permit(system, creator)
    pinned_by(system, creator, "Resep rendang")
    system.social.app.state.creator_accounts.figures.token = "not-the-token"  # type: ignore[attr-defined]
    sign_in(system, "rina.masak")
    page = dashboard(system)
    assert page.status_code == 200
    assert "KERANJANG_SOCIAL_FIGURES_TOKEN" in shown(page.text, "figures-problem")
    assert 'data-testid="handoffs"' not in page.text
    assert "Resep rendang" in page.text
