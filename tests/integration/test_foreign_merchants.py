"""Foreign merchants (Permendag 31/2023 Pasal 5): an incomplete registration is refused with the
missing items named, and what was submitted is kept."""

from sqlalchemy import func, select

from keranjang.commerce.catalog.db import MerchantRow
from tests.integration.conftest import System

COMPLETE = {
    "owner_name": "Li Wei",
    "identity_document": "E12345678",
    "business_legality_document": "https://docs.example/licence.pdf",
    "legalisation_reference": "APOSTILLE-2024-0098",
    "sni_certificate": "SNI-ISO-9001-123",
    "halal_certificate": "ID00410000123",
    "description_id": "Sepatu kulit buatan tangan dari Guangzhou.",
    "origin_country": "CN",
    "origin_city": "Guangzhou",
}


def register(system: System, registration: dict[str, str] | None):  # type: ignore[no-untyped-def]
    body = {
        "slug": "guangzhou-shoes",
        "name": "Guangzhou Shoes",
        "kind": "foreign",
        "city": "Guangzhou",
    }
    if registration is not None:
        body["registration"] = registration  # type: ignore[assignment]
    return system.commerce.post("/api/merchants", json=body, headers=system.operator())


def merchants(system: System) -> int:
    with system.commerce_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(MerchantRow)) or 0


def test_an_incomplete_foreign_registration_names_every_missing_item_and_is_kept(
    system: System,
) -> None:
    partial = {
        k: v for k, v in COMPLETE.items() if k not in {"halal_certificate", "sni_certificate"}
    }
    refused = register(system, partial)
    assert refused.status_code == 422
    body = refused.json()
    assert body["missing"] == ["sni_certificate", "halal_certificate"]
    assert any("halal" in item["msg"] and "Pasal 5" in item["msg"] for item in body["detail"])
    assert merchants(system) == 0
    kept = system.commerce.get(
        f"/api/merchant-applications/{body['application_id']}", headers=system.operator()
    ).json()
    assert kept["submitted"]["owner_name"] == "Li Wei"
    assert kept["missing"] == ["sni_certificate", "halal_certificate"]


def test_completing_a_kept_registration_opens_the_shop(system: System) -> None:
    first = register(system, {"owner_name": "Li Wei"}).json()
    assert len(first["missing"]) == 8
    more = {k: v for k, v in COMPLETE.items() if k != "owner_name"}
    opened = system.commerce.patch(
        f"/api/merchant-applications/{first['application_id']}",
        json=more,
        headers=system.operator(),
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["kind"] == "foreign" and opened.json()["token"]
    again = system.commerce.patch(
        f"/api/merchant-applications/{first['application_id']}",
        json=more,
        headers=system.operator(),
    )
    assert again.status_code == 409


def test_a_foreign_merchant_without_any_registration_is_refused(system: System) -> None:
    refused = register(system, None)
    assert refused.status_code == 422 and len(refused.json()["missing"]) == 9
    assert merchants(system) == 0


def test_an_indonesian_or_malformed_origin_is_not_a_foreign_origin(system: System) -> None:
    refused = register(system, COMPLETE | {"origin_country": "ID"})
    assert refused.json()["missing"] == ["origin_country"]


def test_a_complete_foreign_registration_opens_the_shop_at_once(system: System) -> None:
    opened = register(system, COMPLETE)
    assert opened.status_code == 201 and opened.json()["kind"] == "foreign"
    assert merchants(system) == 1
