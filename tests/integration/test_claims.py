"""Accounts made for buyers of a moved merchant: nobody can log in to one until its owner claims
it through a one-time link, by the API or the /claim page; a used or expired link is gone
(410); signing up with its email points to the claim link; asking for a link never tells
whether an account exists."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying.accounts import AccountService
from keranjang.commerce.tables import MIGRATIONS, Base
from keranjang.infra import schema
from keranjang.infra.database import make_engine
from tests.integration.conftest import COMMERCE_URL, HTML, System

SAME_ORIGIN = HTML | {"origin": COMMERCE_URL, "sec-fetch-site": "same-origin"}
EMAIL = "pembeli.lama@example.com"
PASSWORD = "kata-sandi-baru"


@pytest.fixture
def accounts(system: System) -> AccountService:
    svc: AccountService = system.commerce.app.state.commerce.accounts  # type: ignore[attr-defined]
    return svc


def buyer_row(system: System, email: str = EMAIL) -> Any:
    with Session(system.commerce_engine) as s:
        return s.scalars(select(buying_db.BuyerRow).where(buying_db.BuyerRow.email == email)).one()


def log_in(system: System, password: str = PASSWORD, email: str = EMAIL) -> Any:
    return system.commerce.post("/api/buyers/sessions", json={"email": email, "password": password})


def claim(system: System, token: str, password: str = PASSWORD) -> Any:
    return system.commerce.post("/api/buyers/claims", json={"token": token, "password": password})


def test_an_unclaimed_account_is_opened_once_and_never_overwritten(
    system: System, accounts: AccountService
) -> None:
    first = accounts.open_unclaimed(" Pembeli.Lama@Example.com ", "Ibu Sari", "081234567890")
    again = accounts.open_unclaimed(EMAIL, "Someone Else", "089999999999")
    assert first == again
    row = buyer_row(system)
    assert (row.name, row.phone, row.password_hash, row.claimed_at) == (
        "Ibu Sari",
        "081234567890",
        None,
        None,
    )
    signed_up = system.commerce.post(
        "/api/buyers", json={"email": "punya@example.com", "name": "Punya", "password": PASSWORD}
    )
    assert signed_up.status_code == 201
    kept = accounts.open_unclaimed("punya@example.com", "Other", None)
    assert kept == buyer_row(system, "punya@example.com").id
    assert log_in(system, email="punya@example.com").status_code == 201


def test_nobody_logs_in_to_an_unclaimed_account(system: System, accounts: AccountService) -> None:
    accounts.open_unclaimed(EMAIL, "Ibu Sari")
    for password in (PASSWORD, "", "x" * 12):
        r = log_in(system, password)
        assert r.status_code == 401
        assert r.json()["detail"] == "email or password is wrong"


def test_signing_up_with_an_unclaimed_email_points_to_the_claim_link(
    system: System, accounts: AccountService
) -> None:
    accounts.open_unclaimed(EMAIL, "Ibu Sari")
    r = system.commerce.post(
        "/api/buyers", json={"email": EMAIL, "name": "Sari", "password": PASSWORD}
    )
    assert r.status_code == 409
    assert "claim link" in r.json()["detail"]
    assert "/api/buyers/claims/request" in r.json()["detail"]
    assert buyer_row(system).password_hash is None


def test_a_claim_link_sets_the_password_signs_in_and_works_once(
    system: System, accounts: AccountService
) -> None:
    buyer_id = accounts.open_unclaimed(EMAIL, "Ibu Sari")
    token = accounts.issue_claim_link(buyer_id)
    r = claim(system, token)
    assert r.status_code == 201, r.text
    me = system.commerce.get(
        "/api/orders", headers={"Authorization": f"Bearer {r.json()['token']}"}
    )
    assert me.status_code == 200
    assert buyer_row(system).claimed_at == system.clock.now()
    assert log_in(system).status_code == 201

    again = claim(system, token, "another-password")
    assert again.status_code == 410
    assert "already used" in again.json()["detail"]
    assert log_in(system, "another-password").status_code == 401
    with Session(system.commerce_engine) as s:
        stored = s.scalars(select(buying_db.BuyerClaimRow.token_digest)).one()
    assert stored != token and len(stored) == 64  # only the digest is kept


def test_an_expired_link_is_gone_and_a_new_one_works(
    system: System, accounts: AccountService
) -> None:
    buyer_id = accounts.open_unclaimed(EMAIL, "Ibu Sari")
    old = accounts.issue_claim_link(buyer_id)
    system.clock.advance(days=7)
    r = claim(system, old)
    assert r.status_code == 410
    assert "expired" in r.json()["detail"]
    assert buyer_row(system).password_hash is None
    new = accounts.issue_claim_link(buyer_id)
    assert claim(system, new).status_code == 201


def test_a_weak_password_is_refused_and_spends_nothing(
    system: System, accounts: AccountService
) -> None:
    token = accounts.issue_claim_link(accounts.open_unclaimed(EMAIL, "Ibu Sari"))
    r = claim(system, token, "pendek")
    assert r.status_code == 422
    assert "10" in r.json()["detail"][0]["msg"]
    assert claim(system, token).status_code == 201


def test_an_unknown_token_is_not_found(system: System) -> None:
    assert claim(system, "no-such-token").status_code == 404


def test_asking_for_a_link_answers_the_same_for_every_email(
    system: System, accounts: AccountService
) -> None:
    accounts.open_unclaimed(EMAIL, "Ibu Sari")
    system.commerce.post(
        "/api/buyers", json={"email": "punya@example.com", "name": "Punya", "password": PASSWORD}
    )
    answers = []
    with capture_logs() as logs:
        for email in (EMAIL, "punya@example.com", "tidak.ada@example.com", "not-an-email"):
            r = system.commerce.post("/api/buyers/claims/request", json={"email": email})
            answers.append((r.status_code, r.json()))
    assert len(set(map(str, answers))) == 1
    assert answers[0][0] == 202
    links = [e["link"] for e in logs if e["event"] == "claim_link_issued"]
    assert len(links) == 1 and links[0].startswith(f"{COMMERCE_URL}/claim?token=")
    token = links[0].split("token=", 1)[1]
    assert claim(system, token).status_code == 201
    # Once claimed, asking again issues nothing.
    with capture_logs() as logs:
        system.commerce.post("/api/buyers/claims/request", json={"email": EMAIL})
    assert [e for e in logs if e["event"] == "claim_link_issued"] == []


def test_the_claim_page_sets_a_password_and_signs_the_buyer_in(
    system: System, accounts: AccountService
) -> None:
    token = accounts.issue_claim_link(accounts.open_unclaimed(EMAIL, "Ibu Sari"))
    page = system.commerce.get(f"/claim?token={token}", headers=HTML)
    assert page.status_code == 200
    assert EMAIL in page.text and "Klaim akunmu" in page.text
    assert 'name="viewport"' in page.text and 'lang="id"' in page.text

    mismatch = system.commerce.post(
        "/claim",
        data={"token": token, "password": PASSWORD, "password2": "lain-sekali-ya"},
        headers=SAME_ORIGIN,
    )
    assert mismatch.status_code == 422
    assert "tidak sama" in mismatch.text

    done = system.commerce.post(
        "/claim",
        data={"token": token, "password": PASSWORD, "password2": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/orders"
    orders = system.commerce.get("/orders", headers=HTML, follow_redirects=False)
    assert orders.status_code == 200  # signed in by the session cookie
    assert log_in(system).status_code == 201

    spent = system.commerce.get(f"/claim?token={token}", headers=HTML)
    assert spent.status_code == 410
    assert "sudah dipakai" in spent.text


def test_the_claim_page_refuses_forms_from_other_sites(
    system: System, accounts: AccountService
) -> None:
    token = accounts.issue_claim_link(accounts.open_unclaimed(EMAIL, "Ibu Sari"))
    r = system.commerce.post(
        "/claim",
        data={"token": token, "password": PASSWORD, "password2": PASSWORD},
        headers=HTML | {"sec-fetch-site": "cross-site", "origin": "https://evil.test"},
    )
    assert r.status_code == 403
    assert buyer_row(system).password_hash is None


def test_a_database_with_buyers_upgrades_to_unclaimed_accounts(
    database_url: Callable[[str], str],
) -> None:
    """Revision 0009 on a database already holding buyers that sessions refer to: they stay,
    and an account without a password can be stored afterwards."""
    engine = make_engine(database_url("commerce"))
    config = schema.alembic_config(MIGRATIONS, engine)
    command.upgrade(config, "0008")
    now = datetime(2024, 3, 1, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO buyers (email, name, password_hash, created_at) "
                "VALUES ('lama@example.com', 'Lama', 'x', :now)"
            ),
            {"now": now},
        )
        c.execute(
            text(
                "INSERT INTO buyer_sessions (token_hash, buyer_id, created_at, expires_at) "
                "SELECT 't', id, :now, :now FROM buyers"
            ),
            {"now": now},
        )
    command.upgrade(config, "head")
    with Session(engine) as s, s.begin():
        s.add(buying_db.BuyerRow(email="baru@example.com", name="Baru", created_at=now))
    with Session(engine) as s:
        rows = s.execute(select(buying_db.BuyerRow.email, buying_db.BuyerRow.password_hash))
        assert sorted(rows) == [("baru@example.com", None), ("lama@example.com", "x")]
    with engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
    engine.dispose()
