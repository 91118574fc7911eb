"""Data stays where it belongs: social holds no buyer data, commerce holds from social only the
allowed hand-off claims (DESIGN.md section 2, lines 1 to 3)."""

from sqlalchemy import inspect, select

from keranjang.commerce.attribution.db import AttributionRow
from keranjang.handoff import HandoffClaims
from keranjang.social.db import Base as SocialBase
from tests.integration.conftest import HTML, System

BUYER_WORDS = (
    "buyer",
    "customer",
    "email",
    "phone",
    "address",
    "password",
    "order",
    "payment",
    "viewer",
    "ip",
)
# Attribution columns are exactly the allowed claims (renamed *_id), plus commerce's own id and time.
CLAIM_COLUMNS = {
    "jti",
    "creator_id",
    "content_id",
    "pin_id",
    "product_id",
    "merchant_id",
    "campaign",
}


def columns(engine) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def all_values(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        dump = []
        for table in inspect(engine).get_table_names():
            dump += [repr(tuple(row)) for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"')]
    return "\n".join(dump)


def buyer_data_tables() -> set[str]:
    """Social's tables allowed to hold buyer data: the legacy in-app shop's (until the migration
    purges them) and the viewers' own accounts. Promotion's hold none."""
    owners = ("keranjang.social.legacy_shop.db", "keranjang.social.viewers.db")
    return {
        m.class_.__tablename__ for m in SocialBase.registry.mappers if m.class_.__module__ in owners
    }


# A creator's own sign-in, not a buyer's: this table may name a password hash, nothing else.
CREATOR_SIGN_IN = {"creator_credentials": {"password_hash"}}


def test_social_holds_no_buyer_data_outside_the_legacy_shop_after_handoffs(
    system: System,
) -> None:
    pin = system.pinned_product()
    for _ in range(3):
        path = system.click_cart(pin["id"])
        system.commerce.get(path, headers=HTML | {"cookie": "session=buyer-secret-cookie"})
    schema = columns(system.social_engine)
    allowed = buyer_data_tables()
    assert {"legacy_orders", "legacy_addresses", "viewers"} <= allowed
    assert not allowed & {"pins", "catalog_cache", "legacy_catalog_cache", "merchant_routes"}
    for table, names in schema.items():
        if table in allowed:
            continue
        for name in (names | {table}) - CREATOR_SIGN_IN.get(table, set()):
            assert not any(
                word in name.split("_") or name.startswith(word) for word in BUYER_WORDS
            ), (table, name)
    assert "buyer-secret-cookie" not in all_values(system.social_engine)


def test_commerce_keeps_from_social_only_the_allowed_claims(system: System) -> None:
    pin = system.pinned_product(campaign="live-42")
    system.commerce.get(system.click_cart(pin["id"]))
    assert columns(system.commerce_engine)["attributions"] == CLAIM_COLUMNS | {"id", "at"}
    allowed = {
        name for name in HandoffClaims.model_fields if name not in {"iss", "aud", "iat", "exp"}
    }
    assert {c.removesuffix("_id") for c in CLAIM_COLUMNS} == allowed
    # No other table in commerce mentions social's creators, content or pins, but for the bank
    # accounts creators give to be paid their commission: keyed by the creator id, an allowed
    # claim, and by nothing else of social's.
    paying_creators = {"creator_payout_accounts", "creator_payout_account_changes"}
    for table, names in columns(system.commerce_engine).items():
        if table in paying_creators:
            assert not names & {"content_id", "pin_id", "handle"}, table
        elif table != "attributions":
            assert not names & {"creator_id", "content_id", "pin_id", "handle"}, table
    assert paying_creators <= set(columns(system.commerce_engine))


def test_social_knows_only_public_catalog_fields(system: System) -> None:
    pin = system.pinned_product()
    cached = columns(system.social_engine)["catalog_cache"]
    assert cached == {
        "product_id",
        "merchant_id",
        "merchant_name",
        "title",
        "price_idr",
        "image_url",
        "in_stock",
        "fetched_at",
    }
    assert set(pin["product"]) == {
        "product_id",
        "merchant_id",
        "merchant_name",
        "title",
        "price_idr",
        "image_url",
        "in_stock",
    }


def test_attribution_figures_are_counts_never_rows(system: System) -> None:
    pin = system.pinned_product()
    for _ in range(2):
        system.commerce.get(system.click_cart(pin["id"]))
    with system.commerce_engine.connect() as conn:
        creator_id = conn.scalar(select(AttributionRow.creator_id))
    figures = system.creator_figures(creator_id)
    assert set(figures) == {
        "creator_id",
        "handoffs",
        "by_content",
        "by_product",
        "first_at",
        "last_at",
        "orders",
        "commission",
    }
    assert set(figures["commission"]) == {"pending_idr", "payable_idr", "paid_out_idr"}
    assert figures["handoffs"] == 2
    assert figures["by_product"] == [{"id": pin["product"]["product_id"], "handoffs": 2}]
    assert figures["by_content"] == [{"id": pin["content_id"], "handoffs": 2}]
    assert "jti" not in str(figures)


def test_a_creator_without_handoffs_has_zero_figures(system: System) -> None:
    figures = system.creator_figures(12345)
    assert figures["handoffs"] == 0
    assert figures["by_content"] == figures["by_product"] == []
