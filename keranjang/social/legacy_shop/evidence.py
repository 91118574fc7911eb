"""Evidence of where buyer data sits in social: counts of rows by table, and per legacy seller.
Counts only, never a row (DESIGN.md section 2, line 5). And each legacy seller's sales, which the
migration's payment progress weighs sellers by."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.social.legacy_shop import db, domain
from keranjang.social.viewers.db import ViewerRow

# Every table of social that holds buyer data: the viewers' own accounts (emails) and the
# legacy shop's tables that name a buyer or carry what a buyer gave.
BUYER_TABLES = (
    ViewerRow,
    db.BuyerProfileRow,
    db.AddressRow,
    db.CartLineRow,
    db.CheckoutRow,
    db.OrderRow,
    db.OrderLineRow,
    db.OrderEventRow,
    db.PaymentRow,
    db.RefundRow,
)


@dataclass(frozen=True)
class SellerBuyerData:
    seller_id: int
    orders: int
    buyers: int
    payments: int


@dataclass(frozen=True)
class BuyerDataCounts:
    by_table: dict[str, int]
    by_seller: tuple[SellerBuyerData, ...]

    @property
    def total(self) -> int:
        return sum(self.by_table.values())


def buyer_data_counts(sessions: sessionmaker[Session]) -> BuyerDataCounts:
    with sessions() as s:
        by_table = {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in BUYER_TABLES
        }
        return BuyerDataCounts(by_table, tuple(_by_seller(s)))


def _by_seller(s: Session) -> list[SellerBuyerData]:
    o, p = db.OrderRow, db.PaymentRow
    payments = (
        select(o.seller_id, func.count(p.id).label("payments"))
        .join(p, p.order_id == o.id)
        .group_by(o.seller_id)
        .subquery()
    )
    query = (
        select(
            o.seller_id,
            func.count(o.id),
            func.count(func.distinct(o.viewer_id)),
            func.coalesce(func.max(payments.c.payments), 0),
        )
        .outerjoin(payments, payments.c.seller_id == o.seller_id)
        .group_by(o.seller_id)
        .order_by(o.seller_id)
    )
    return [SellerBuyerData(*map(int, row)) for row in s.execute(query)]


def _sales() -> Select[int, int]:
    o = db.OrderRow
    total = func.coalesce(func.sum(o.total_idr), 0)
    money_in = [status.value for status in domain.MONEY_IN]
    return select(o.seller_id, total).where(o.status.in_(money_in)).group_by(o.seller_id)


def legacy_sales_idr(s: Session) -> dict[int, int]:
    """Each legacy seller's sales in rupiah: the totals of its orders whose money came in and
    stayed (paid, shipped, delivered, completed); sellers without any are left out."""
    return {int(seller): int(total) for seller, total in s.execute(_sales())}


def seller_sales_idr(s: Session, seller_id: int) -> int:
    """One legacy seller's sales in rupiah, as `legacy_sales_idr` counts them."""
    row = s.execute(_sales().where(db.OrderRow.seller_id == seller_id)).first()
    return 0 if row is None else int(row[1])
