"""The purge, once a moved merchant's rollback window has closed: its shop's rows deleted from
social (products, orders with their lines, holds, history, payments, their partner news,
refunds, its escrow journal, its payout account, consent, change log and the seller itself),
the buyer data only it needed (the addresses, phone, carts and checkouts of buyers with no order
left in the app), and the journal's id map for it, so nothing links a commerce buyer to a social
viewer any more. The routing table (yellow carts go to commerce) and the product map (pins of
its legacy products keep working) stay: they hold no buyer data.

One social transaction, the change-log triggers off inside it (a deleted seller has nothing to
capture); then the journal. Repeating after a crash deletes what is left, which may be nothing.
"""

from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from keranjang.infra.database import transaction
from keranjang.migration import journal
from keranjang.migration.errors import IllegalPhase, WindowClosed
from keranjang.migration.phases import Phase, check_next
from keranjang.migration.sync import Ctx
from keranjang.social.db import MerchantRouteRow
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop.changes import ChangeRow, capture_paused
from keranjang.social.legacy_shop.moving import FenceRow, MoveConsentRow

o = legacy.OrderRow


def purge(ctx: Ctx, actor: str = "engine") -> None:
    with ctx.journal() as s:
        move = s.get_one(journal.MoveRow, ctx.seller_id)
        phase, closes = Phase(move.phase), move.purge_after
    if phase is Phase.PURGED:
        return
    if phase is not Phase.VERIFIED:
        raise IllegalPhase(f"seller {ctx.seller_id} is {phase}: only a verified move is purged")
    check_next(phase, Phase.PURGED)
    if closes is None or closes > ctx.clock.now():
        raise WindowClosed(
            f"seller {ctx.seller_id} can still be rolled back until {closes}: purge after that"
        )
    with Session(ctx.social) as s, s.begin(), capture_paused(s.connection()):
        buyers = _buyers(s, ctx.seller_id)
        _shop(s, ctx.seller_id)
        _buyer_data(s, buyers)
        _stamp_route(s, ctx.seller_id, ctx.clock.now())
        _last_seller_gone(s)
    ctx.checkpoint("purge:social")
    with transaction(ctx.journal) as s:
        s.execute(delete(journal.IdMapRow).where(journal.IdMapRow.seller_id == ctx.seller_id))
        row = journal.move_for_update(s, ctx.seller_id)
        row.phase, row.updated_at = Phase.PURGED.value, ctx.clock.now()
        row.purged_at, row.rows_purged = row.updated_at, row.rows_total
        journal.add_event(s, row, "purged", {"buyers_checked": len(buyers)}, actor)


def _stamp_route(s: Session, seller_id: int, now: datetime) -> None:
    """The routing row says when the seller's shop left the app (the regulator's evidence reads
    when the last one did); a purge repeated after a crash keeps the first stamp."""
    route = MerchantRouteRow
    s.execute(
        update(route)
        .where(route.legacy_seller_id == seller_id, route.purged_at.is_(None))
        .values(purged_at=now)
    )


def _buyers(s: Session, seller_id: int) -> list[int]:
    query = select(o.viewer_id).where(o.seller_id == seller_id).distinct()
    return [int(v) for v in s.scalars(query)]


def _shop(s: Session, seller_id: int) -> None:
    """The seller's rows, children first."""
    orders = select(o.id).where(o.seller_id == seller_id)
    products = select(legacy.ProductRow.id).where(legacy.ProductRow.seller_id == seller_id)
    entries = select(legacy.LedgerEntryRow.id).where(legacy.LedgerEntryRow.order_id.in_(orders))
    posting = legacy.LedgerPostingRow
    numbers = select(o.number).where(o.seller_id == seller_id)
    news = legacy.PaymentNewsRow
    partner_ids = select(legacy.PaymentRow.partner_order_id).where(
        legacy.PaymentRow.order_id.in_(orders)
    )
    checkouts = select(o.checkout_id).where(o.seller_id == seller_id)
    statements = [
        delete(posting).where(or_(posting.entry_id.in_(entries), posting.seller_id == seller_id)),
        delete(legacy.LedgerEntryRow).where(legacy.LedgerEntryRow.id.in_(entries)),
        delete(news).where(
            or_(news.partner_order_id.in_(partner_ids), news.partner_order_id.in_(numbers))
        ),
        *(delete(t).where(t.order_id.in_(orders)) for t in _ORDER_CHILDREN),
        delete(legacy.CartLineRow).where(legacy.CartLineRow.product_id.in_(products)),
    ]
    for statement in statements:
        s.execute(statement)
    held = [int(i) for i in s.scalars(checkouts.distinct())]
    s.execute(delete(o).where(o.seller_id == seller_id))
    _unused_checkouts(s, held)
    for statement in (
        delete(legacy.ProductRow).where(legacy.ProductRow.seller_id == seller_id),
        delete(legacy.PayoutAccountRow).where(legacy.PayoutAccountRow.seller_id == seller_id),
        delete(MoveConsentRow).where(MoveConsentRow.seller_id == seller_id),
        delete(FenceRow).where(FenceRow.seller_id == seller_id),
        delete(ChangeRow).where(ChangeRow.seller_id == seller_id),
        delete(legacy.SellerRow).where(legacy.SellerRow.id == seller_id),
    ):
        s.execute(statement)


_ORDER_CHILDREN = (
    legacy.RefundRow,
    legacy.PaymentRow,
    legacy.OrderEventRow,
    legacy.StockHoldRow,
    legacy.OrderLineRow,
)


def _unused_checkouts(s: Session, ids: list[int]) -> None:
    """Checkouts none of whose orders is left (one checkout may span several sellers)."""
    c = legacy.CheckoutRow
    s.execute(delete(c).where(c.id.in_(ids), ~exists().where(o.checkout_id == c.id)))


def _buyer_data(s: Session, viewers: list[int]) -> None:
    """The buyer data of the seller's buyers who have no order left in the app; a buyer who
    also bought from another seller keeps theirs until that one moves too."""
    alone = [v for v in viewers if s.scalar(select(o.id).where(o.viewer_id == v).limit(1)) is None]
    for model in (
        legacy.AddressRow,
        legacy.BuyerProfileRow,
        legacy.CartLineRow,
        legacy.CheckoutRow,
    ):
        s.execute(delete(model).where(model.viewer_id.in_(alone)))


def _last_seller_gone(s: Session) -> None:
    """Once no seller is left in the app, the shop's buyer data serves nobody: the addresses,
    phones, carts and checkouts of viewers who never bought (or whose sellers all moved) go too.
    The viewers' accounts stay: watching needs none of the shop's data."""
    if s.scalar(select(legacy.SellerRow.id).limit(1)) is not None:
        return
    for model in (
        legacy.AddressRow,
        legacy.BuyerProfileRow,
        legacy.CartLineRow,
        legacy.CheckoutRow,
    ):
        s.execute(delete(model))
