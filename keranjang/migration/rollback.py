"""The way back: a moved merchant returned to the app within the rollback window, with what it
did in commerce since the cutover (products' listings and stock, orders' states with their
history, orders placed in commerce with their lines, holds and payments, and the money of
those orders in the app's escrow journal).

`way_back_proof.prove` maps every commerce row of the merchant back without writing anything;
the cutover runs it first and does not switch over a merchant whose way back is broken
(vitess#16794: switches that went ahead with a broken reverse lost tables), and the rollback
runs it again before it writes anything.

`roll_back` fences the merchant in commerce first (off sale: a checkout in flight finishes
before the fence, every later one is refused and retried by the buyer; the seller tools
closed), then writes everything back and flips the route in ONE social transaction: if it
fails, the app is unchanged and the route still points where the money is (commerce); the
shop is put on sale and its seller tools opened again. Then commerce's ledger closes the
merchant's balances against `migration_clearing`. Repeating after a crash writes nothing twice:
orders are found by their number, payments by (order, attempt), events by (order, state, time),
products placed in commerce by the id map or (seller, title, creation time), ledger entries by
name.

The money rule of the way back: every order goes back with all of its money, so the app owns
it. The app's journal books each order's payment, completion and refund (`way_back_books`; an
order completed in commerce with the fee and commissions commerce took), and commerce hands
back against `migration_clearing` everything the order still gives anyone: escrow, creators'
commission and the platform's fee (`closing`). Each fee and each commission is then booked once
across both books, and what commerce owes the app is what the app's journal says the partner
holds for those orders (those placed in commerce; a moved order's opening entry
cancels against its closing one). Refunds and payouts made in commerce go back too
(`way_back_money`): the app's escrow and the seller's payable there are what is still held and
owed, to the rupiah; so does a creator's commission commerce already paid out (`closing`: the
app then owes the creator only the rest); a payout or refund still in flight makes the rollback
wait (`Unsettled`).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from keranjang.commerce.orders import db as order_db
from keranjang.migration import closing, journal, mapping, way_back, way_back_money, way_back_proof
from keranjang.migration.errors import IllegalPhase, MigrationError, Unsettled, WindowClosed
from keranjang.migration.phases import Phase, check_next
from keranjang.migration.sync import Ctx


@dataclass(frozen=True)
class Request:
    actor: str
    reason: str
    window: timedelta


def roll_back(ctx: Ctx, request: Request) -> None:
    move = _check(ctx, request)
    if problems := way_back_proof.prove(ctx)[ctx.seller_id]:
        raise MigrationError(f"the way back does not work: {problems[0]}")
    _check_settled(ctx)  # before anything is fenced; `closing` checks again under its lock
    with ctx.social.connect() as c:
        digest = way_back.seller_digest(c, ctx.seller_id)
    way_back.fence(ctx, mapping.moving_marker(digest))  # no more orders or seller writes there
    try:
        back = way_back.write_back(ctx, way_back.commerce_state(ctx))
    except BaseException:
        way_back.reopen(ctx, digest)  # the app unchanged: the merchant sells in commerce
        raise
    ctx.checkpoint("rollback:written")
    rounds = _rounds(ctx)
    closed = closing.close_books(ctx, rounds)
    way_back.carry_payouts(ctx, closed, rounds)
    with way_back.journal_transaction(ctx) as s:
        row = journal.move_for_update(s, ctx.seller_id)
        row.phase = check_next(Phase(row.phase), Phase.ROLLED_BACK).value
        row.updated_at, row.purge_after = ctx.clock.now(), None
        for kind, pairs in back.made.items():
            journal.map_ids(s, ctx.seller_id, kind, pairs)
        detail = {
            "reason": request.reason,
            "was": move,
            "orders_placed_in_commerce": len(back.orders),
        }
        journal.add_event(s, row, "rolled_back", detail, request.actor)


def _check(ctx: Ctx, request: Request) -> str:
    with ctx.journal() as s:
        row = s.get_one(journal.MoveRow, ctx.seller_id)
        phase, cutover_at = Phase(row.phase), row.cutover_at
    if phase not in (Phase.CUT_OVER, Phase.VERIFIED) or cutover_at is None:
        raise IllegalPhase(f"seller {ctx.seller_id} is {phase}: only a moved merchant goes back")
    if ctx.clock.now() > cutover_at + request.window:
        raise WindowClosed(f"the rollback window of seller {ctx.seller_id} closed")
    return phase.value


def _check_settled(ctx: Ctx) -> None:
    of_orders = select(order_db.OrderRow.id).where(order_db.OrderRow.merchant_id == ctx.merchant_id)
    with ctx.commerce.connect() as c:
        if problems := way_back_money.unsettled(c, ctx.merchant_id, of_orders):
            raise Unsettled(f"the way back waits: {problems[0]}; roll back again once it settles")


def _rounds(ctx: Ctx) -> int:
    """How many times this merchant went back before (names this round's closing entries)."""
    with ctx.journal() as s:
        query = select(journal.EventRow.id).where(
            journal.EventRow.seller_id == ctx.seller_id, journal.EventRow.what == "rolled_back"
        )
        return len(s.scalars(query).all()) + 1
