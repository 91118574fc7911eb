"""The legacy shop's figures for the regulator's evidence (Pasal 21(3) and 13): what it took in a
window (orders, sales, payments and notifications by status), which sellers still sell in the
app and their sales, and buyer data left for sellers routed to commerce and purged. Counts and
sums in grouped queries: never a buyer's row."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from keranjang.social import db as promotion
from keranjang.social.domain import Route
from keranjang.social.legacy_shop import db, domain

MONEY_IN = tuple(status.value for status in domain.MONEY_IN)
COMMERCE = Route.COMMERCE.value


@dataclass(frozen=True)
class ByStatus:
    status: str
    count: int
    sum_idr: int


@dataclass(frozen=True)
class Activity:
    """What the shop took from `start` on."""

    orders: int
    sales_idr: int
    payments: tuple[ByStatus, ...]
    notifications: tuple[ByStatus, ...]


@dataclass(frozen=True)
class Routing:
    sellers_on_shop: int
    sellers_moved: int
    sales_idr_on_shop: int
    sales_idr_moved: int


@dataclass(frozen=True)
class LeftBehind:
    """A purged seller's buyer data still in social (`seller_id` is the legacy seller's id)."""

    seller_id: int
    buyers: int
    orders: int


@dataclass(frozen=True)
class Purges:
    purged: int
    left_behind: tuple[LeftBehind, ...]


def activity(s: Session, start: datetime) -> Activity:
    o = db.OrderRow
    orders = s.scalar(select(func.count(o.id)).where(o.created_at >= start)) or 0
    sales = s.scalar(
        select(func.coalesce(func.sum(o.total_idr), 0)).where(
            o.created_at >= start, o.status.in_(MONEY_IN)
        )
    )
    p, n = db.PaymentRow, db.PaymentNewsRow
    payments = _by_status(s, p.status, p.amount_idr, p.created_at >= start)
    notifications = _by_status(s, n.status, n.amount_idr, n.received_at >= start)
    return Activity(int(orders), int(sales or 0), payments, notifications)


def _by_status(
    s: Session,
    status: InstrumentedAttribute[str],
    amount: InstrumentedAttribute[int],
    since: ColumnElement[bool],
) -> tuple[ByStatus, ...]:
    query = (
        select(status, func.count(), func.coalesce(func.sum(amount), 0))
        .where(since)
        .group_by(status)
        .order_by(status)
    )
    return tuple(ByStatus(str(st), int(n), int(total)) for st, n, total in s.execute(query))


def routing(s: Session) -> Routing:
    """A seller with no row in the routing table is still in the app."""
    o, r = db.OrderRow, promotion.MerchantRouteRow
    moved = set(s.scalars(select(r.legacy_seller_id).where(r.route == COMMERCE)))
    sellers = set(s.scalars(select(db.SellerRow.id)))
    sales_query = (
        select(o.seller_id, func.coalesce(func.sum(o.total_idr), 0))
        .where(o.status.in_(MONEY_IN))
        .group_by(o.seller_id)
    )
    sales = {int(seller): int(total) for seller, total in s.execute(sales_query)}
    return Routing(
        sellers_on_shop=len(sellers - moved),
        sellers_moved=len(moved),
        sales_idr_on_shop=sum(v for k, v in sales.items() if k not in moved),
        sales_idr_moved=sum(v for k, v in sales.items() if k in moved),
    )


def closed_at(s: Session) -> datetime | None:
    """When the in-app shop closed: the last purge of a moved seller, once no seller is left in
    the app; None while any seller is (or while none was ever moved and purged)."""
    if s.scalar(select(db.SellerRow.id).limit(1)) is not None:
        return None
    r = promotion.MerchantRouteRow
    return s.scalar(select(func.max(r.purged_at)).where(r.route == COMMERCE))


def purges(s: Session, limit: int = 100) -> Purges:
    """Sellers routed to commerce whose listings are gone from the shop (the purge's mark) and,
    of those, the ones whose orders (each naming a buyer, a phone and an address) remain."""
    r, product, o = promotion.MerchantRouteRow, db.ProductRow, db.OrderRow
    listed = select(product.seller_id).distinct()
    purged = select(r.legacy_seller_id).where(
        r.route == COMMERCE, r.legacy_seller_id.not_in(listed)
    )
    count = s.scalar(select(func.count()).select_from(purged.subquery())) or 0
    left = (
        select(o.seller_id, func.count(func.distinct(o.viewer_id)), func.count(o.id))
        .where(o.seller_id.in_(purged))
        .group_by(o.seller_id)
        .order_by(o.seller_id)
        .limit(limit)
    )
    rows = tuple(LeftBehind(int(a), int(b), int(c)) for a, b, c in s.execute(left))
    return Purges(int(count), rows)
