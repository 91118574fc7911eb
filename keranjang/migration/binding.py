"""Binding a batch of sellers (one seller is a batch of one): each seller's confirmation checked
(or the operator's forcing), its merchant opened in commerce (found again by its marker if a
crash came after it was made), not on sale until its cutover, with its payout account; then
every bound move written to the journal in one transaction. A seller who has not confirmed, or
is gone from the app, is answered apart and leaves the others to go on.

The statements are per batch, not per seller: one read of social (sellers, confirmations,
payout accounts), one of commerce (merchants already made, shop addresses taken), the slugs
chosen recorded in the journal before any merchant is opened under them, and one commerce
transaction opening them all. A slug taken meanwhile fails that transaction, whole: the slugs
are chosen again next time (`MigrationError`, the batch then moves its sellers one by one).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from keranjang.infra.database import transaction
from keranjang.migration import journal, mapping, source_books, target
from keranjang.migration.errors import MigrationError, NotConfirmed, NotFound
from keranjang.migration.journal import MoveRow
from keranjang.migration.sync import Ctx


@dataclass
class Found:
    """What social holds of a batch's sellers."""

    sellers: dict[int, RowMapping]
    consenting: set[int]
    accounts: dict[int, RowMapping]


def read(ctx: Ctx, sellers: Sequence[int]) -> Found:
    with ctx.social.connect() as c:
        return Found(
            source_books.sellers_of(c, sellers),
            source_books.consenting(c, sellers),
            source_books.payout_accounts(c, sellers),
        )


def refused(moves: Sequence[MoveRow], found: Found) -> dict[int, MigrationError]:
    """The sellers that cannot be bound now, and why."""
    why: dict[int, MigrationError] = {}
    for move in moves:
        if move.seller_id not in found.sellers:
            why[move.seller_id] = NotFound(f"seller {move.seller_id} is not in the app")
        elif move.seller_id not in found.consenting and move.forced_reason is None:
            why[move.seller_id] = NotConfirmed(
                f"seller {move.seller_id} has not confirmed the move in the seller tools "
                "(an operator may force it, with a reason)"
            )
    return why


def open_merchants(ctx: Ctx, moves: Sequence[MoveRow], found: Found) -> dict[int, int]:
    """Each seller's merchant in commerce (seller -> merchant id), made now if not before, not
    on sale, with the seller's payout account."""
    markers = {
        m.seller_id: mapping.moving_marker(found.sellers[m.seller_id]["token_digest"])
        for m in moves
    }
    digests = {m.seller_id: str(found.sellers[m.seller_id]["token_digest"]) for m in moves}
    with ctx.commerce.connect() as c:
        made = target.merchants_with_hashes(c, [*markers.values(), *digests.values()])
        wanted = [found.sellers[m.seller_id]["slug"] for m in moves]
        taken = target.slugs_near(c, wanted)
    merchants = {
        s: made.get(markers[s]) or made[digests[s]]
        for s in markers
        if markers[s] in made or digests[s] in made
    }
    fresh = [m for m in moves if m.seller_id not in merchants]
    if fresh:
        merchants |= _open(ctx, fresh, found, _slugs(ctx, fresh, found, taken))
    accounts = [
        mapping.payout_account(account, merchant_id)
        for seller_id, merchant_id in merchants.items()
        if (account := found.accounts.get(seller_id)) is not None
    ]
    with ctx.commerce.begin() as c:  # not on sale in commerce until the cutover
        target.not_selling(c, merchants.values())
        target.put_payout_accounts(c, accounts)
    return merchants


def _slugs(ctx: Ctx, moves: Sequence[MoveRow], found: Found, taken: set[str]) -> dict[int, str]:
    """The shop address each fresh merchant opens under: the one the journal chose first, or a
    free one (free of commerce's and of the batch's others), recorded before it is used."""
    chosen: dict[int, str] = {}
    for move in moves:
        slug = journal.position(move).get("slug") or mapping.free_slug(
            found.sellers[move.seller_id]["slug"], taken
        )
        chosen[move.seller_id] = slug
        taken.add(slug)
    with transaction(ctx.journal) as s:
        for row in journal.moves_for_update(s, chosen):
            journal.set_position(row, slug=chosen[row.seller_id])
    return chosen


def _open(
    ctx: Ctx, moves: Sequence[MoveRow], found: Found, slugs: dict[int, str]
) -> dict[int, int]:
    now = ctx.clock.now()
    sellers = [found.sellers[move.seller_id] for move in moves]
    merchants = [
        (mapping.merchant(seller, slugs[seller["id"]], now), mapping.application(seller, 0, now))
        for seller in sellers
    ]
    try:
        with ctx.commerce.begin() as c:
            ids = target.open_merchants(c, merchants)
    except IntegrityError as exc:  # a slug was taken meanwhile: choose again next time
        with transaction(ctx.journal) as s:
            for row in journal.moves_for_update(s, slugs):
                journal.set_position(row, slug=None)
        raise MigrationError(
            f"a shop address of {sorted(slugs.values())[:5]} was taken meanwhile"
        ) from exc
    return {move.seller_id: i for move, i in zip(moves, ids, strict=True)}
