"""The viewer's shopping personalisation, on SQLite and PostgreSQL: while it is on, the feed puts
the creators the viewer watched first; on /pengaturan they turn it off and the feed is newest
first, nothing they watch is kept and what was kept is gone; social's evidence counts it, and
the time it takes to answer a yellow-cart tap, so the monitor's rules read both."""

import re
import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from keranjang.oversight import regime, sample_evidence
from keranjang.oversight.evidence import gather
from keranjang.oversight.regime import Hosts
from keranjang.oversight.rules import BY_ID
from keranjang.oversight.rules.base import Outcome, Status
from keranjang.social.viewers.personalisation import Personalisation
from tests.integration.conftest import System
from tests.integration.evidence_checks import (
    monitor_reading,
    read,
    regulator_env,  # noqa: F401
)

OWN_PAGE = {"sec-fetch-site": "same-origin"}
TITLE = re.compile(r"<h2>([^<]+)</h2>")


def titles(client: TestClient) -> list[str]:
    page = client.get("/")
    assert page.status_code == 200
    return TITLE.findall(page.text)


def sign_up(client: TestClient, email: str = "siti@example.com") -> dict[str, Any]:
    body = {"email": email, "name": "Siti", "password": "rahasia-sekali"}
    r = client.post("/api/viewers", json=body)
    assert r.status_code == 201, r.text
    viewer: dict[str, Any] = r.json()["viewer"]
    return viewer


def choose(client: TestClient, value: str, headers: dict[str, str] = OWN_PAGE) -> Any:
    return client.post(
        "/pengaturan", data={"personalisasi": value}, headers=headers, follow_redirects=False
    )


def watches(system: System, viewer_id: int) -> int:
    query = text("SELECT count(*) FROM viewer_watches WHERE viewer_id = :v")
    with system.social_engine.connect() as c:
        return int(c.execute(query, {"v": viewer_id}).scalar_one())


def two_creators(system: System) -> tuple[dict[str, Any], dict[str, Any]]:
    """An older video by one creator, a newer one by another."""
    older = system.content(system.creator("budi.batik"), title="Batik lama")
    system.clock.advance(minutes=1)
    newer = system.content(system.creator("ani.masak"), title="Resep baru")
    return older, newer


def test_the_feed_follows_what_was_watched_until_the_viewer_turns_it_off(system: System) -> None:
    c = system.social
    older, _ = two_creators(system)
    assert titles(c) == ["Resep baru", "Batik lama"]  # nobody signed in: newest first
    viewer = sign_up(c)
    assert titles(c) == ["Resep baru", "Batik lama"]  # nothing watched yet
    assert c.get(f"/videos/{older['id']}").status_code == 200
    assert titles(c) == ["Batik lama", "Resep baru"]  # the creator watched comes first

    r = choose(c, "mati")
    assert r.status_code == 303 and r.headers["location"] == "/pengaturan?saved=mati"
    page = c.get(r.headers["location"]).text
    assert "Personalisasi dimatikan." in page and 'data-testid="state">Mati<' in page
    assert watches(system, viewer["id"]) == 0  # what was kept is deleted
    assert titles(c) == ["Resep baru", "Batik lama"]
    c.get(f"/videos/{older['id']}")
    assert watches(system, viewer["id"]) == 0  # and nothing new is kept
    assert titles(c) == ["Resep baru", "Batik lama"]

    figures = read(c, "/evidence/social")["personalisation"]
    assert figures == {
        "opted_out_viewers": 1,
        "personalised_after_opt_out": 0,
        "feeds_personalised": 1,
        "feeds_chronological": 4,
    }
    assert choose(c, "nyala").status_code == 303
    assert read(c, "/evidence/social")["personalisation"]["opted_out_viewers"] == 0
    assert titles(c) == ["Resep baru", "Batik lama"]  # on again, with no history left


def test_a_bad_or_foreign_change_is_refused_and_changes_nothing(system: System) -> None:
    c = system.social
    signed_out = c.get("/pengaturan", headers={"accept": "text/html"})
    assert signed_out.status_code == 401 and "Masuk dulu" in signed_out.text
    assert choose(c, "mati").status_code == 401
    sign_up(c)
    forged = choose(c, "mati", headers={"origin": "http://evil.example"})
    assert forged.status_code == 403
    wrong = choose(c, "kadang", headers=OWN_PAGE | {"accept": "text/html"})
    assert wrong.status_code == 422 and "Pilih" in wrong.text
    assert 'data-testid="state">Nyala<' in c.get("/pengaturan").text
    assert read(c, "/evidence/social")["personalisation"]["opted_out_viewers"] == 0


def test_first_choices_racing_leave_one_setting_and_no_error(system: System) -> None:
    viewer = sign_up(system.social)
    setting: Personalisation = system.social.app.state.personalisation  # type: ignore[attr-defined]
    failures: list[BaseException] = []

    def flip(on: bool) -> None:
        try:
            setting.choose(viewer["id"], on)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=flip, args=(i % 2 == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    query = text("SELECT count(*) FROM viewer_settings WHERE viewer_id = :v")
    with system.social_engine.connect() as conn:
        assert conn.execute(query, {"v": viewer["id"]}).scalar_one() == 1


def evaluate(system: System, rule: str) -> Outcome:
    """A rule of the monitor on social's evidence as the monitor reads it (the rest compliant)."""
    now = system.clock.now()
    fake = sample_evidence.compliant(now)
    fake.pieces["social"] = monitor_reading(system.social, "social").social()
    rules = regime.load()
    params = rules.params(now, rules.deadline, Hosts("127.0.0.1:8002", "127.0.0.1:8001"))
    return BY_ID[rule].evaluate(gather(fake, now), params)


def test_yellow_cart_taps_are_timed_and_the_monitor_judges_them(system: System) -> None:
    pin = system.pinned_product()
    for _ in range(3):
        system.click_cart(pin["id"])
    tab = read(system.social, "/evidence/social")["shop_tab_open"]
    assert tab["samples"] == 3 and 0 < tab["p95_ms"] < 5_000
    judged = evaluate(system, "service-level.shop-tab-open")
    assert judged.status is Status.PASS and "over 3 openings" in judged.summary
    misuse = evaluate(system, "pasal-13.no-data-misuse")
    assert misuse.status is Status.PASS and "opt-out is honoured" in misuse.summary
    system.clock.advance(days=2)  # past the one-day window
    assert read(system.social, "/evidence/social")["shop_tab_open"] == {
        "samples": 0,
        "p95_ms": None,
    }
    assert evaluate(system, "service-level.shop-tab-open").status is Status.NOT_APPLICABLE
