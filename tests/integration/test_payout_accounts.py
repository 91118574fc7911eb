"""A merchant's payout account through the seller API: none until set, set and replaced by the
shop alone, a bad field refused with what to fix and nothing changed."""

from typing import Any

from tests.integration.conftest import System, bearer

ACCOUNT = {"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Sekar Ayu"}


def put(system: System, merchant: dict[str, Any], **body: Any) -> Any:
    return system.commerce.put(
        "/api/seller/payout-account", json=ACCOUNT | body, headers=bearer(merchant)
    )


def get(system: System, merchant: dict[str, Any]) -> Any:
    return system.commerce.get("/api/seller/payout-account", headers=bearer(merchant))


def test_a_shop_sets_and_replaces_its_payout_account(system: System) -> None:
    merchant = system.merchant()
    none_yet = get(system, merchant)
    assert none_yet.status_code == 404
    assert "no payout account" in none_yet.json()["detail"]

    r = put(system, merchant, bank_code=" bni ", holder_name="  Sekar   Ayu ")
    assert r.status_code == 200, r.text
    assert r.json() | {"updated_at": None} == {
        "merchant_id": merchant["id"],
        "bank_code": "BNI",
        "account_number": "1234567890",
        "holder_name": "Sekar Ayu",
        "updated_at": None,
    }
    system.clock.advance(hours=1)
    assert put(system, merchant, bank_code="014", account_number="98765").status_code == 200
    now = get(system, merchant).json()
    assert (now["bank_code"], now["account_number"]) == ("014", "98765")
    assert now["updated_at"].startswith(system.clock.now().isoformat()[:19])


def test_each_shop_sees_only_its_own_account(system: System) -> None:
    sekar = system.merchant()
    other = system.merchant("toko-lain", "Toko Lain")
    assert put(system, sekar).status_code == 200
    assert get(system, other).status_code == 404
    anonymous = system.commerce.get("/api/seller/payout-account")
    assert anonymous.status_code == 401


def test_bad_fields_are_refused_and_change_nothing(system: System) -> None:
    merchant = system.merchant()
    assert put(system, merchant).status_code == 200
    for field, value, says in [
        ("bank_code", "B", "bank_code"),
        ("bank_code", "BC-A", "bank_code"),
        ("account_number", "1234", "account_number"),
        ("account_number", "1234-5678", "account_number"),
        ("account_number", "\uff11\uff12\uff13\uff14\uff15", "account_number"),  # full-width
        ("holder_name", "   ", "holder_name"),
        ("holder_name", "x" * 121, "holder_name"),
    ]:
        r = put(system, merchant, **{field: value})
        assert r.status_code == 422, (field, value, r.text)
        assert says in str(r.json()["detail"]), r.text
    assert get(system, merchant).json()["account_number"] == ACCOUNT["account_number"]
    extra = put(system, merchant, iban="x")
    assert extra.status_code == 422
