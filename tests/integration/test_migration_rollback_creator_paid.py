"""A creator paid out in commerce before the merchant goes back: an order placed in commerce
through the creator's yellow cart completed, its refund window closed, and commerce's payout
batch paid the creator its commission. The rollback takes the order back to the app, owing
the creator nothing more for it (commerce paid it, for the app), and leaves commerce owing the
creator nothing below zero; while that payout is in transit the rollback waits. Both books
balance. On SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from keranjang.commerce.money import db as money_db
from keranjang.commerce.money.disbursements_db import CreatorPayoutAccountRow
from keranjang.commerce.money.disbursing import DisbursingService
from keranjang.migration.errors import Unsettled
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.migration_books import both_books_balance
from tests.integration.partner_disbursements import SimulatorPayouts
from tests.integration.test_migration_engine import Moving, moving_fixture, one  # noqa: F401
from tests.integration.test_migration_rollback import buy_through_a_creator, complete_in_commerce
from tests.integration.test_migration_rollback_money import (  # noqa: F401
    commerce_state,
    disbursing_fixture,
)


def owed_to_creator_in_app(moving: Moving, creator: int) -> int:
    """What the app's journal owes the creator (its postings are credits: negative)."""
    return -int(
        one(
            moving.social,
            "SELECT coalesce(sum(amount_idr), 0) FROM legacy_ledger_postings"
            " WHERE account = 'creator_commission' AND creator_id = :c",
            c=creator,
        )
    )


def test_a_creator_paid_in_commerce_is_not_owed_it_again_by_the_app_after_the_rollback(
    moving: Moving, disbursing: tuple[DisbursingService, SimulatorPayouts]
) -> None:
    svc, sim = disbursing
    moving.mover.parts.rollback_window = timedelta(days=30)
    before = owed_to_creator_in_app(moving, 0)
    bought = buy_through_a_creator(moving)
    complete_in_commerce(moving, bought.order)
    state = commerce_state(moving)
    state.clock.advance(days=8)  # the refund window (7 days) closes: the commission is payable
    assert state.settlement.release_due() >= 1
    payable = f"commission_payable:{bought.creator}"
    with Session(moving.commerce) as s:
        commission = money_db.owed(s, payable)
    assert commission > 0
    owed_before = owed_to_creator_in_app(moving, bought.creator)
    with Session(moving.commerce) as s, s.begin():  # the creator registered its bank account
        s.add(CreatorPayoutAccountRow(creator_id=bought.creator, bank_code="bca",
                                      account_number="7001234567", holder_name="Kreator Satu",
                                      updated_at=state.clock.now()))  # fmt: skip

    batch = svc.run_batch(minimum_idr=1)
    assert commission in [p.amount_idr for p in batch.payouts if p.account == payable]
    sent = svc.send_due()
    for d in sent:  # the seller's payout arrives; the creator's is still on its way
        if d.amount_idr != commission:
            assert svc.notified(*sim.finish(d.key)) is not None
    with pytest.raises(Unsettled, match=f"creator {bought.creator} is still in transit"):
        moving.mover.rollback(moving.seller_id, "operator", "the seller asked")
    (to_creator,) = [d for d in sent if d.amount_idr == commission]
    assert svc.notified(*sim.finish(to_creator.key)) is not None

    assert moving.mover.rollback(moving.seller_id, "operator", "the seller asked") is (
        Phase.ROLLED_BACK
    )

    with Session(moving.commerce) as s:
        assert money_db.owed(s, payable) == 0  # not below zero: commerce owes it nothing
    # The app booked the commission at the order's completion and the payout commerce made
    # for it: it owes the creator nothing more for this order.
    assert owed_to_creator_in_app(moving, bought.creator) == owed_before
    assert before == 0
    both_books_balance(moving)
