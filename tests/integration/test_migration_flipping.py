"""The pins' map written before the fence (`flipping`), on SQLite and PostgreSQL.

The map (legacy product -> commerce product) is written before the fence, so that the pause
holds only the routes and what the drain changed of it. Buyers must not notice: while the
route says the app, a pin's yellow cart opens the app, map or no map, also after an attempt
abandoned inside its pause; a product the seller lists between the map's write and the fence
is mapped by the flip; once cut over, every pin leads to its product in commerce."""

import time

import pytest

from keranjang.migration.errors import OverBudget
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import Legacy, legacy_fixture  # noqa: F401
from tests.integration.test_legacy_routing import pin_legacy
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

BUDGET_MS = 400.0  # fits the predicted pause of the test's small merchant on a busy machine


def cart_location(moving: Moving, pin_id: int) -> str:
    r = moving.legacy.system.social.get(f"/cart/{pin_id}", follow_redirects=False)
    assert r.status_code == 302, r.text
    return str(r.headers["location"])


def mapped(moving: Moving) -> dict[int, int]:
    query = ("SELECT m.legacy_product_id, m.commerce_product_id FROM legacy_product_map m JOIN "
             "legacy_products p ON p.id = m.legacy_product_id WHERE p.seller_id = :s")  # fmt: skip
    return dict(rows(moving.social, query, s=moving.seller_id))


def test_an_attempt_abandoned_after_the_map_leaves_the_cart_in_the_app_then_the_flip_maps_all(
    moving: Moving,
) -> None:
    sid, social, commerce = moving.seller_id, moving.social, moving.commerce
    product = one(social, "SELECT min(id) FROM legacy_products WHERE seller_id = :s", s=sid)
    pin = pin_legacy(moving.legacy.system, {"id": product})
    assert cart_location(moving, pin["id"]).startswith(f"/legacy/products/{product}")
    moving.run(Phase.CATCHING_UP)
    moving.parts.pause_budget_ms = BUDGET_MS

    def stall(where: str) -> None:  # the fence held past the budget: abandoned in the pause
        if where == "cutover:fenced":
            time.sleep(BUDGET_MS / 1000 + 0.05)

    moving.parts.checkpoint = stall
    with pytest.raises(OverBudget, match="abandoned in the pause"):
        moving.mover.advance(sid)
    assert moving.move().phase == Phase.CATCHING_UP
    products = one(social, "SELECT count(*) FROM legacy_products WHERE seller_id = :s", s=sid)
    assert len(mapped(moving)) == products  # written before the fence, and left
    route = "SELECT route FROM merchant_routes WHERE legacy_seller_id = :s"
    assert one(social, route, s=sid) == "legacy"
    assert cart_location(moving, pin["id"]).startswith(f"/legacy/products/{product}")

    listed: list[dict[str, object]] = []

    def list_one(where: str) -> None:  # after the map's products were read, before the fence
        if where == "cutover:staged" and not listed:
            listed.append(moving.legacy.product(moving.seller, title="Sambal Baru Rilis"))

    moving.parts.checkpoint = list_one
    moving.parts.pause_budget_ms = 2_000.0
    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED
    [new] = listed
    assert one(social, route, s=sid) == "commerce"
    final = mapped(moving)
    assert len(final) == products + 1
    titles = dict(rows(social, "SELECT id, title FROM legacy_products WHERE seller_id = :s", s=sid))
    moved = dict(rows(commerce, "SELECT id, title FROM products"))
    assert {legacy: moved[c] for legacy, c in final.items()} == titles
    assert titles[int(str(new["id"]))] == "Sambal Baru Rilis"
    landing = moving.legacy.system.commerce.get(moving.legacy.system.click_cart(pin["id"]))
    assert landing.status_code == 200 and titles[product] in landing.text
