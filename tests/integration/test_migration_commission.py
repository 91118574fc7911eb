"""A creator's commission on an order moved open out of the app: the app's line knew only its
creator; once the order completes in commerce, the creator's commission is in commerce's ledger
and in the creator's figures, on SQLite and PostgreSQL."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401

CREATOR = 900_001  # a creator of no generated line


def test_a_moved_open_order_pays_its_creator_commission_when_it_completes(
    moving: Moving,
) -> None:
    sid = moving.seller_id
    legacy_order = one(
        moving.social,
        f"SELECT min(id) FROM legacy_orders WHERE seller_id = {sid} AND status = 'delivered'",
    )
    with moving.social.begin() as c:
        c.execute(
            text(
                "UPDATE legacy_order_lines SET creator_id = :c, commission_bp = 1000"
                " WHERE order_id = :o"
            ),
            {"c": CREATOR, "o": legacy_order},
        )
    lines = rows(
        moving.social,
        "SELECT unit_price_idr, quantity, commission_bp FROM legacy_order_lines WHERE order_id = :o",
        o=legacy_order,
    )
    commission = sum(price * n * bp // 10_000 for price, n, bp in lines)
    assert commission > 0
    number = one(moving.social, f"SELECT number FROM legacy_orders WHERE id = {legacy_order}")

    assert moving.run(Phase.VERIFIED) is Phase.VERIFIED

    order_id, buyer_id = rows(
        moving.commerce, "SELECT id, buyer_id FROM orders WHERE number = :n", n=number
    )[0]
    state = moving.legacy.system.commerce.app.state.commerce  # type: ignore[attr-defined]
    assert state.settlement.confirm_received(buyer_id, order_id).status == "completed"

    with Session(moving.commerce) as s:
        assert money_db.owed(s, f"commission_pending:{CREATOR}") == commission
        debits, credits = money_db.totals(s)
        assert debits == credits
    figures = moving.legacy.system.creator_figures(CREATOR)
    assert figures["commission"]["pending_idr"] == commission
    assert figures["handoffs"] == len(lines)
    assert figures["by_content"] == []
