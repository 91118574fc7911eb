"""The way back proven before the switch (see `rollback` for the protocol): every order and
line of the batch's merchants in commerce must map back to the app, read with one set of
statements for the whole batch and nothing written."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.orders import db as order_db
from keranjang.infra.bulk import one_of
from keranjang.migration import journal, mapping
from keranjang.migration.sync import Ctx
from keranjang.migration.way_back import all_rows
from keranjang.social.legacy_shop import domain as legacy_domain


def prove(ctx: Ctx) -> dict[int, list[str]]:
    """The way back proven for every seller of a batch before the switch, nothing written: per
    seller, the problems found mapping its commerce rows back to the app (empty: the way back
    works). One set of statements for the whole batch: one commerce read of the merchants'
    orders, one of their lines and one of their products, one journal read of their products'
    map. Buyers are not looked up in the app: which viewer an order goes back to changes
    nothing a proof can find (one with no account gets one, unclaimed), and a giant's
    thousands of emails cost a tenth of a second on every cutover attempt."""
    co, ol, cp = order_db.OrderRow, order_db.OrderLineRow, catalog_db.ProductRow
    merchants = list(ctx.merchants.values())
    with ctx.commerce.connect() as c:
        orders = all_rows(
            c,
            select(co).where(one_of(co.merchant_id, merchants)).order_by(co.id),
        )
        # By the orders just read, not joined to them by merchant: PostgreSQL expected a
        # giant's share of lines for each small merchant and hashed the whole table.
        merchant_of = {int(o["id"]): int(o["merchant_id"]) for o in orders}
        lines = [
            (line_id, product_id, merchant_of[int(order_id)])
            for line_id, product_id, order_id in c.execute(
                select(ol.id, ol.product_id, ol.order_id)
                .where(one_of(ol.order_id, list(merchant_of)))
                .order_by(ol.id)
            )
        ]
        products = c.execute(select(cp.id, cp.merchant_id).where(one_of(cp.merchant_id, merchants)))
        own = {(int(m), int(i)) for i, m in products}
    with ctx.journal() as s:
        own |= {(ctx.merchants[seller], i) for seller, i in _products_mapped(s, ctx.sellers)}
    seller_of = {merchant: seller for seller, merchant in ctx.merchants.items()}
    problems: dict[int, list[str]] = {seller: [] for seller in ctx.sellers}
    for order in orders:
        seller = seller_of[order["merchant_id"]]
        try:
            legacy_domain.OrderStatus(order["status"])
            mapping.back_order(order, seller, 0, 0)
        except (ValueError, mapping.Unmappable) as exc:
            problems[seller].append(f"order {order['number']}: {exc}")
    for line_id, product_id, merchant in lines:
        if (merchant, product_id) not in own:
            problems[seller_of[merchant]].append(
                f"order line {line_id}: product {product_id} is not the merchant's"
            )
    return problems


def _products_mapped(s: Session, sellers: Sequence[int]) -> list[tuple[int, int]]:
    """(seller, commerce product id) of every product the sellers' id map holds."""
    m = journal.IdMapRow
    query = select(m.seller_id, m.commerce_id).where(
        one_of(m.seller_id, sellers), m.kind == "product"
    )
    return [(int(seller), int(i)) for seller, i in s.execute(query)]
