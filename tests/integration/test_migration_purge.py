"""The purge, once a moved merchant's rollback window has closed: its shop and the buyer data
only it needed leave social, the journal forgets its id map, and the routing row keeps when it
happened."""

import pytest
from sqlalchemy import select

from keranjang.evidence import migration as evidence
from keranjang.infra.clock import FixedClock
from keranjang.migration.errors import WindowClosed
from keranjang.migration.journal import EventRow, IdMapRow
from keranjang.migration.phases import Phase
from keranjang.migration.reports import events_of
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401


def test_the_purge_leaves_no_shop_and_no_buyer_data_of_the_seller(
    moving: Moving, clock: FixedClock
) -> None:
    sid = moving.seller_id
    moving.run(Phase.VERIFIED)
    with pytest.raises(WindowClosed):
        moving.mover.purge(sid)
    buyers = [
        r[0]
        for r in rows(
            moving.social, f"SELECT DISTINCT viewer_id FROM legacy_orders WHERE seller_id = {sid}"
        )
    ]
    elsewhere = {
        r[0]
        for r in rows(
            moving.social, f"SELECT DISTINCT viewer_id FROM legacy_orders WHERE seller_id <> {sid}"
        )
    }
    clock.advance(days=8)

    assert moving.mover.purge(sid) is Phase.PURGED

    for table in ("legacy_orders", "legacy_products", "legacy_changes", "legacy_payout_accounts"):
        assert one(moving.social, f"SELECT count(*) FROM {table} WHERE seller_id = {sid}") == 0
    alone = [b for b in buyers if b not in elsewhere]
    assert alone, "the marketplace should have buyers of this seller alone"
    for table in ("legacy_addresses", "legacy_buyer_profiles", "legacy_checkouts"):
        held = rows(moving.social, f"SELECT DISTINCT viewer_id FROM {table}")
        assert not {r[0] for r in held} & set(alone), table
    kept = [b for b in buyers if b in elsewhere]
    if kept:
        assert (
            one(
                moving.social,
                f"SELECT count(*) FROM legacy_addresses WHERE viewer_id IN ({','.join(map(str, kept))})",
            )
            > 0
        )
    with moving.journal() as s:
        assert s.scalars(select(IdMapRow).where(IdMapRow.seller_id == sid)).all() == []
    assert moving.move().phase == Phase.PURGED
    # The routing row says when the shop data left (the regulator's evidence reads it); a purge
    # repeated keeps that moment.
    stamped = one(
        moving.social, f"SELECT purged_at FROM merchant_routes WHERE legacy_seller_id = {sid}"
    )
    assert stamped is not None
    clock.advance(days=1)
    assert moving.mover.purge(sid) is Phase.PURGED
    again = f"SELECT purged_at FROM merchant_routes WHERE legacy_seller_id = {sid}"
    assert one(moving.social, again) == stamped
    # Nothing in commerce names a viewer; the merchant still sells there.
    assert (
        one(moving.social, f"SELECT route FROM merchant_routes WHERE legacy_seller_id = {sid}")
        == "commerce"
    )


def purged_event(moving: Moving) -> evidence.MigrationEvent:
    """The purge as the regulator reads it from the journal."""
    with moving.journal() as s:
        rows = list(
            s.scalars(
                select(EventRow).where(
                    EventRow.seller_id == moving.seller_id, EventRow.what == "purged"
                )
            )
        )
    assert len(rows) == 1
    return events_of(rows, 10).events[0]


@pytest.mark.parametrize("actor", ["operator:web", "operator:cli", None])
def test_a_purge_an_operator_asked_for_names_the_operator(
    moving: Moving, clock: FixedClock, actor: str | None
) -> None:
    moving.run(Phase.VERIFIED)
    clock.advance(days=8)
    assert moving.mover.purge(moving.seller_id, actor) is Phase.PURGED
    event = purged_event(moving)
    assert event.actor == (actor or "engine")
    assert event.operator is (actor is not None)
