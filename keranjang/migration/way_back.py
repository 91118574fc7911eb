"""The rollback's reads of commerce and writes to the app (see `rollback` for the protocol)."""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import db as money_db
from keranjang.commerce.orders import db as order_db
from keranjang.infra.bulk import one_of
from keranjang.infra.database import transaction
from keranjang.migration import (
    closing,
    journal,
    mapping,
    source,
    source_books,
    way_back_books,
    way_back_money,
)
from keranjang.migration.sync import Ctx
from keranjang.social import db as promotion
from keranjang.social.domain import Route
from keranjang.social.legacy_shop import books
from keranjang.social.legacy_shop import db as legacy
from keranjang.social.legacy_shop.moving import FenceRow
from keranjang.social.viewers.db import ViewerRow

PAID = ("paid", "partially_refunded", "refunded")  # a payment's statuses once money came in


@dataclass
class State:
    """The merchant's rows in commerce now, and where each moved one came from in the app."""

    products: list[RowMapping]
    orders: list[RowMapping]
    lines: list[RowMapping]
    holds: list[RowMapping]
    events: list[RowMapping]
    payments: list[RowMapping]
    divided: dict[int, way_back_books.Division]  # commerce order id -> its completion's
    refunds: dict[int, list[way_back_money.CarriedRefund]]  # commerce order id -> made there
    back: dict[str, dict[int, int]] = field(default_factory=dict)  # kind -> commerce -> legacy

    @property
    def products_back(self) -> dict[int, int]:
        return self.back["product"]

    @property
    def orders_back(self) -> dict[int, int]:
        return self.back["order"]

    @property
    def new_products(self) -> set[int]:
        return {p["id"] for p in self.products} - set(self.products_back)


def commerce_state(ctx: Ctx) -> State:
    cp, co, b = catalog_db.ProductRow, order_db.OrderRow, buying_db.BuyerRow
    of_orders = select(co.id).where(co.merchant_id == ctx.merchant_id)
    with ctx.commerce.connect() as c:
        state = State(
            products=all_rows(
                c, select(cp).where(cp.merchant_id == ctx.merchant_id).order_by(cp.id)
            ),
            orders=all_rows(
                c,
                select(co, b.email.label("buyer_email"), b.name.label("buyer_name"))
                .join(b, b.id == co.buyer_id)
                .where(co.merchant_id == ctx.merchant_id)
                .order_by(co.id),
            ),
            lines=_lines_with_creators(c, of_orders),
            holds=_children(c, order_db.StockHoldRow, of_orders),
            events=_children(c, order_db.OrderEventRow, of_orders),
            payments=_children(c, money_db.PaymentRow, of_orders),
            divided=way_back_books.divisions(c, of_orders),
            refunds=way_back_money.refunds(c, of_orders),
        )
    with ctx.journal() as s:
        state.back = {k: journal.reverse(s, ctx.seller_id, k) for k in ("product", "order", "hold")}
    return state


def all_rows(c: Connection, query: Any) -> list[RowMapping]:
    return list(c.execute(query).mappings())


def _lines_with_creators(c: Connection, of_orders: Any) -> list[RowMapping]:
    """The orders' lines, each with the creator who brought it (its attribution's), if any."""
    ol, at = order_db.OrderLineRow, attribution_db.AttributionRow
    query = (
        select(ol, at.creator_id)
        .outerjoin(at, at.id == ol.attribution_id)
        .where(one_of(ol.order_id, of_orders))
        .order_by(ol.id)
    )
    return all_rows(c, query)


def _children(c: Connection, model: Any, of_orders: Any) -> list[RowMapping]:
    return all_rows(c, select(model).where(one_of(model.order_id, of_orders)).order_by(model.id))


def viewers_of(c: Connection, state: State) -> dict[str, int]:
    return source.viewer_ids_by_email(c, {o["buyer_email"] for o in state.orders})


def seller_digest(c: Connection, seller_id: int) -> str:
    seller = source_books.seller(c, seller_id)
    if seller is None:
        raise mapping.Unmappable(f"seller {seller_id} is no longer in the app")
    return str(seller["token_digest"])


def fence(ctx: Ctx, token_hash: str) -> None:
    """The fence on commerce's side: the shop off sale and its seller tools closed (`token_hash`
    a marker no token has), in one transaction that first locks the shop's products as a
    checkout does. It waits for every checkout in flight that holds one of them, and every
    later checkout finds the shop not selling and is refused with nothing written (see
    `keranjang.commerce.buying.placing`); on SQLite one writer at a time does the same."""
    m, p = catalog_db.MerchantRow, catalog_db.ProductRow
    products = select(p.id).where(p.merchant_id == ctx.merchant_id).order_by(p.id)
    with ctx.commerce.begin() as c:
        c.execute(products.with_for_update(key_share=True))
        c.execute(
            update(m).where(m.id == ctx.merchant_id).values(token_hash=token_hash, selling=False)
        )


def reopen(ctx: Ctx, token_hash: str) -> None:
    """The fence lifted: the shop on sale in commerce again, its seller tools opened."""
    m = catalog_db.MerchantRow
    with ctx.commerce.begin() as c:
        c.execute(
            update(m).where(m.id == ctx.merchant_id).values(token_hash=token_hash, selling=True)
        )


@contextmanager
def journal_transaction(ctx: Ctx) -> Iterator[Session]:
    with transaction(ctx.journal) as s:
        yield s


@dataclass
class Back:
    """Legacy id -> commerce id of the rows the way back made in the app, per kind of the id
    map (`order`, `product`, `line`, `attribution`, `hold`, `event`, `payment` keyed by its
    legacy order, `refund`): the rollback maps them, so a later move finds each one again in
    commerce instead of copying it a second time."""

    made: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, kind: str, legacy_id: int, commerce_id: int) -> None:
        self.made.setdefault(kind, {})[legacy_id] = commerce_id

    @property
    def orders(self) -> dict[int, int]:
        return self.made.get("order", {})


def write_back(ctx: Ctx, state: State) -> Back:
    """Everything back into the app and the route flipped, in one social transaction."""
    back, now = Back(), ctx.clock.now()
    with Session(ctx.social) as s, s.begin():
        products = _products(s, ctx, state, back)
        _open_viewers(s, state, now)
        viewers = viewers_of(s.connection(), state)
        numbers = [o["number"] for o in state.orders]
        known = source.order_ids_by_number(s.connection(), ctx.seller_id, numbers)
        orders: dict[int, int] = {}
        for o in state.orders:
            legacy_id = state.orders_back.get(o["id"]) or known.get(o["number"])
            if legacy_id is None:
                legacy_id = _new_order(s, ctx.seller_id, o, viewers[o["buyer_email"]])
                back.add("order", legacy_id, o["id"])
                lines = [x for x in state.lines if x["order_id"] == o["id"]]
                _lines(s, lines, (legacy_id, products), back)
            else:
                s.execute(
                    update(legacy.OrderRow)
                    .where(legacy.OrderRow.id == legacy_id)
                    .values(mapping.back_order_state(o))
                )
            orders[o["id"]] = legacy_id
        _holds(s, state, (orders, products), back)
        _events(s, state.events, orders, back)
        _payments(s, state, orders, back)
        back.made["refund"] = _refunds(s, state, orders, products, now)
        books = way_back_books.Books(
            ctx.seller_id, state.orders, orders, state.divided, state.refunds
        )
        way_back_books.bring_level(s, books, now)
        _flip_back(s, ctx, list(state.products_back.values()), now)
    return back


def carry_payouts(ctx: Ctx, closed: closing.Closed, round_: int) -> None:
    """What commerce paid out, off what the app owes (each once): the seller's payouts off its
    payable, and each creator's commission of these orders commerce paid off the creator's."""
    entries = [
        way_back_money.payout_entry(payout_id, ctx.seller_id, amount)
        for payout_id, amount in sorted(closed.paid_out.items())
    ]
    entries += [
        way_back_money.creator_paid_entry(f"{round_}:{ctx.seller_id}:{creator}", creator, amount)
        for creator, amount in sorted(closed.creators_paid.items())
    ]
    with Session(ctx.social) as s, s.begin():
        for entry in entries:
            books.post(s, entry, ctx.clock.now())


def _open_viewers(s: Session, state: State, now: datetime) -> None:
    """A buyer with no account in the app (it bought in commerce only) comes back as a viewer
    of its own, unclaimed: its email and name, no password (it cannot log in until it sets
    one)."""
    have = viewers_of(s.connection(), state)
    missing = {o["buyer_email"].lower(): o["buyer_name"] for o in state.orders}
    s.add_all(
        ViewerRow(email=email, name=(name or email)[:80], password_hash=None, created_at=now)
        for email, name in sorted(missing.items())
        if email not in have
    )
    s.flush()


def _products(s: Session, ctx: Ctx, state: State, back: Back) -> dict[int, int]:
    """commerce product id -> legacy product id, every product of the merchant."""
    found = dict(state.products_back)
    p = legacy.ProductRow
    for row in state.products:
        values = mapping.back_product(row)
        if row["id"] in found:
            s.execute(update(p).where(p.id == found[row["id"]]).values(values))
            continue
        same = s.scalar(
            select(p.id).where(
                p.seller_id == ctx.seller_id,
                p.title == row["title"],
                p.created_at == row["created_at"],
            )
        )
        if same is None:
            made = p(seller_id=ctx.seller_id, created_at=row["created_at"], **values)
            s.add(made)
            s.flush()
            same = made.id
        found[row["id"]] = same
        back.add("product", same, row["id"])
    return found


def _new_order(s: Session, seller_id: int, o: RowMapping, viewer_id: int) -> int:
    checkout = legacy.CheckoutRow(
        viewer_id=viewer_id,
        idempotency_key=f"moved-back:{o['number']}"[:64],
        fingerprint="",
        answer=json.dumps({"placed_in": "commerce", "number": o["number"]}),
        created_at=o["created_at"],
    )
    s.add(checkout)
    s.flush()
    order = legacy.OrderRow(**mapping.back_order(o, seller_id, viewer_id, checkout.id))
    s.add(order)
    s.flush()
    return int(order.id)


def _made(s: Session, row: Any) -> int:
    s.add(row)
    s.flush()
    return int(row.id)


def _lines(
    s: Session, lines: Sequence[RowMapping], into: tuple[int, dict[int, int]], back: Back
) -> None:
    """An order's lines placed in commerce; each one's attribution (a creator brought it) is
    mapped under the legacy line, as the copy keys it."""
    order_id, products = into
    for x in lines:
        made = _made(
            s, legacy.OrderLineRow(**mapping.back_line(x, order_id, products[x["product_id"]]))
        )
        back.add("line", made, x["id"])
        if x["attribution_id"] is not None:
            back.add("attribution", made, x["attribution_id"])


def _holds(
    s: Session, state: State, ids: tuple[dict[int, int], dict[int, int]], back: Back
) -> None:
    h = legacy.StockHoldRow
    orders, products = ids
    for hold in state.holds:
        legacy_id = state.back["hold"].get(hold["id"])
        if legacy_id is not None:
            s.execute(update(h).where(h.id == legacy_id).values(released_at=hold["released_at"]))
            continue
        order_id, product_id = orders[hold["order_id"]], products[hold["product_id"]]
        same = s.scalar(select(h.id).where(h.order_id == order_id, h.product_id == product_id))
        if same is None:
            keys = ("quantity", "expires_at", "released_at")
            same = _made(
                s, h(order_id=order_id, product_id=product_id, **{k: hold[k] for k in keys})
            )
        back.add("hold", same, hold["id"])


def _events(s: Session, events: Sequence[RowMapping], orders: dict[int, int], back: Back) -> None:
    """State changes made in commerce (the app's own are there already, by order, state and
    time)."""
    e = legacy.OrderEventRow
    query = select(e.order_id, e.to_status, e.at).where(one_of(e.order_id, list(orders.values())))
    have = {tuple(r) for r in s.execute(query)}
    for event in events:
        order_id = orders[event["order_id"]]
        if (order_id, event["to_status"], event["at"]) not in have:
            back.add("event", _made(s, e(**mapping.back_event(event, order_id))), event["id"])


def _payments(s: Session, state: State, orders: dict[int, int], back: Back) -> None:
    """Payments as commerce has them; one the app lacked is mapped by its order (as the copy
    keys an order's payment)."""
    p = legacy.PaymentRow
    numbers = {o["id"]: o["number"] for o in state.orders}
    for pay in state.payments:
        order_id = orders[pay["order_id"]]
        values = mapping.back_payment(pay, order_id, numbers[pay["order_id"]])
        same = s.scalar(select(p.id).where(p.order_id == order_id, p.attempt == pay["attempt"]))
        if same is None:
            s.add(p(**values))
            back.add("payment", order_id, pay["id"])
        else:
            s.execute(update(p).where(p.id == same).values(values))
        if pay["status"] in PAID:  # the app refunds the order through the payment that paid it
            o = legacy.OrderRow
            s.execute(
                update(o)
                .where(o.id == order_id, o.paid_by.is_(None))
                .values(paid_by=mapping.paid_through(pay, numbers[pay["order_id"]]))
            )


def _refunds(s: Session, state: State, orders: dict[int, int], products: dict[int, int],
             now: datetime) -> dict[int, int]:  # fmt: skip
    """The refunds commerce made, as succeeded refunds of the app's orders, and each line's
    refunded units as commerce counts them; answers legacy refund id -> commerce refund id (so
    a later move finds each refund again instead of copying it a second time)."""
    carried_back: dict[int, int] = {}
    titles = {p["id"]: p["title"] for p in state.products}
    numbers = {o["id"]: o["number"] for o in state.orders}
    x = legacy.OrderLineRow
    payment_of = {p["order_id"]: p for p in state.payments}  # one per order in commerce
    lines_of: dict[int, list[Any]] = {order_id: [] for order_id in state.refunds}
    for y in (y for y in state.lines if y["order_id"] in lines_of):
        lines_of[y["order_id"]].append(y)
    for order_id, carried in state.refunds.items():
        number, paid = numbers[order_id], payment_of.get(order_id)
        paid_by = number if paid is None else mapping.paid_through(paid, number)
        on = way_back_money.Where(orders[order_id], paid_by, now)
        carried_back |= way_back_money.carry_refunds(s, on, carried, titles, products)
        for line in lines_of[order_id]:
            s.execute(
                update(x)
                .where(x.order_id == on.order_id, x.product_id == products[line["product_id"]])
                .values(refunded_quantity=line["refunded_quantity"])
            )
    return carried_back


def _flip_back(s: Session, ctx: Ctx, products: list[int], now: datetime) -> None:
    routes = promotion.MerchantRouteRow
    s.execute(
        update(routes)
        .where(routes.legacy_seller_id == ctx.seller_id)
        .values(route=Route.LEGACY.value, commerce_merchant_id=None, changed_at=now)
    )
    s.execute(
        delete(promotion.ProductMapRow).where(
            one_of(promotion.ProductMapRow.legacy_product_id, products)
        )
    )
    s.execute(delete(FenceRow).where(FenceRow.seller_id == ctx.seller_id))
