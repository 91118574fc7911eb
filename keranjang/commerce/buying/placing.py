"""Placing checkouts, many at once: every checkout waiting at a moment is placed in one
transaction with one statement per table for the whole group (group commit, run by
`keranjang.infra.batching.Batcher`). A group of one is an ordinary checkout.

Inside the group the checkouts are decided one after the other, in the order they arrived, as if
each had its own transaction: the products in the group's carts are locked first (`FOR UPDATE`;
on SQLite the process's one writer), the stock is counted down in memory, and a checkout that
finds too little left is refused and stored as refused, while the others go through. The
decrements are then written with the same guard as a lone checkout (`stock >= quantity`), so if
anything else took stock meanwhile the whole group rolls back and is placed again one by one."""

import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying.domain import (
    CartLine,
    OrderDraft,
    check_same_request,
    hold_expiry,
    in_progress,
    split_by_merchant,
)
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.errors import CommerceError, EmptyCart, Invalid, OutOfStock, Unauthenticated
from keranjang.commerce.orders import db as order_db
from keranjang.commerce.orders.domain import OrderStatus

ADDRESS_FIELDS = ("recipient", "phone", "street", "city", "postal_code")
# What a refused checkout's stored answer says, by refusal. The answer is stored for idempotent
# retries, so its status is fixed here; `tests/unit/test_error_mapping.py` checks it agrees
# with the web layer's table.
REFUSAL_STATUS: dict[type[CommerceError], int] = {OutOfStock: 409, EmptyCart: 422, Invalid: 422}
REFUSALS = tuple(REFUSAL_STATUS)


@dataclass(frozen=True)
class Answer:
    """A stored HTTP answer: what an idempotent retry gets back, byte for byte."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    buyer_id: int | None = None  # whose checkout it answers (not part of the answer sent)


def _refused(exc: CommerceError) -> Answer:
    status = next(REFUSAL_STATUS[k] for k in type(exc).__mro__ if k in REFUSAL_STATUS)
    return Answer(status, {"error": type(exc).__name__, "detail": str(exc)})


@dataclass(frozen=True)
class Ask:
    """One checkout: the buyer is known (`buyer_id`, from a page's session) or is found in the
    group from the digest of the bearer token (`token_hash`)."""

    key: str
    body: dict[str, Any]
    fingerprint: str
    buyer_id: int | None = None
    token_hash: str | None = None


@dataclass(frozen=True)
class Rules:
    shipping_idr: int
    hold_minutes: int
    attribution_window: timedelta
    platform_fee_bp: int


Outcome = Answer | CommerceError


@dataclass
class _Accepted:
    index: int
    buyer_id: int
    drafts: list[OrderDraft]
    address: str


def place_group(c: Connection, asks: list[Ask], now: datetime, rules: Rules) -> list[Outcome]:
    """Each ask's outcome, in order: an answer to store and send (placed or refused), a replay
    of a stored answer, or an error for that ask alone (not logged in, key reused with another
    body). The caller commits; an exception means nothing of the group may be kept."""
    buyers = _buyers(c, asks, now)
    known = [(i, b) for i, b in enumerate(buyers) if isinstance(b, int)]
    stored = _stored_answers(c, [(b, asks[i].key) for i, b in known])
    addresses = _addresses(
        c, [asks[i].body["address_id"] for i, _ in known if "address_id" in asks[i].body]
    )
    carts, line_ids, stock = read_carts(
        c, sorted({b for _, b in known}), now - rules.attribution_window, lock=True
    )

    outcomes: list[Outcome | _Replay | None] = [None] * len(asks)
    first_with_key: dict[tuple[int, str], int] = {}
    accepted: list[_Accepted] = []
    for i, ask in enumerate(asks):
        buyer = buyers[i]
        if not isinstance(buyer, int):
            outcomes[i] = buyer
            continue
        try:
            if (buyer, ask.key) in first_with_key:  # the same key twice in one group
                first = first_with_key[(buyer, ask.key)]
                check_same_request(asks[first].fingerprint, ask.fingerprint)
                outcomes[i] = _Replay(first)
                continue
            if (buyer, ask.key) in stored:
                outcomes[i] = _replayed(stored[(buyer, ask.key)], ask.fingerprint)
                continue
        except CommerceError as exc:
            outcomes[i] = exc
            continue
        first_with_key[(buyer, ask.key)] = i
        try:
            address = _shipping_address(ask.body, buyer, addresses)
            lines = carts.get(buyer, [])
            drafts = split_by_merchant(lines, rules.shipping_idr)
            _take(stock, lines)
        except REFUSALS as exc:
            outcomes[i] = _refused(exc)
            continue
        carts.pop(buyer, None)  # a second checkout of this buyer in the group finds it empty
        accepted.append(_Accepted(i, buyer, drafts, address))

    if accepted:
        expires = hold_expiry(now, rules.hold_minutes)
        _write_stock(c, accepted)
        for item, views in zip(
            accepted, _insert_orders(c, accepted, now, expires, rules), strict=True
        ):
            outcomes[item.index] = Answer(
                201, {"orders": views, "hold_expires_at": expires.isoformat()}
            )
        # Only the lines ordered: a line added meanwhile (another tab) stays in the cart.
        ordered = sorted(line for x in accepted for line in line_ids[x.buyer_id])
        c.execute(_EMPTY_CARTS, {"lines": ordered})
    new_keys = [
        {
            "buyer_id": buyers[i],
            "key": asks[i].key,
            "fingerprint": asks[i].fingerprint,
            "status_code": outcome.status_code,
            "response": json.dumps(outcome.body),
            "created_at": now,
        }
        for i, outcome in enumerate(outcomes)
        if isinstance(outcome, Answer) and not outcome.replayed
    ]
    if new_keys:
        c.execute(_INSERT_KEYS, new_keys)
    settled = [_settled(outcomes, i) for i in range(len(asks))]
    return [
        replace(o, buyer_id=b) if isinstance(o, Answer) and isinstance(b := buyers[i], int) else o
        for i, o in enumerate(settled)
    ]


@dataclass(frozen=True)
class _Replay:
    """The answer of an earlier ask of the group with the same key."""

    first: int


def _settled(outcomes: list["Outcome | _Replay | None"], i: int) -> Outcome:
    outcome = outcomes[i]
    if isinstance(outcome, _Replay):
        first = outcomes[outcome.first]
        assert isinstance(first, Answer)  # the first with a key is answered, never an error
        return replace(first, replayed=True)
    assert outcome is not None, "every ask of the group is decided"
    return outcome


# ----------------------------------------------------------------------------------------------
# Reads: one statement each for the whole group.


def _buyers(c: Connection, asks: list[Ask], now: datetime) -> list[int | CommerceError]:
    hashes = sorted({a.token_hash for a in asks if a.token_hash is not None})
    sessions = {}
    if hashes:
        sessions = {r.token_hash: r for r in c.execute(_SESSIONS, {"hashes": hashes})}
    found: list[int | CommerceError] = []
    for ask in asks:
        if ask.buyer_id is not None:
            found.append(ask.buyer_id)
            continue
        row = sessions.get(ask.token_hash)
        if row is None or row.expires_at <= now:
            found.append(Unauthenticated("your session has ended; log in again"))
        else:
            found.append(int(row.buyer_id))
    return found


def _stored_answers(c: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    if not keys:
        return {}
    rows = c.execute(_STORED_KEYS, {"keys": sorted(set(keys))})
    return {(r.buyer_id, r.key): r for r in rows}


def _replayed(row: Any, fingerprint: str) -> Answer:
    check_same_request(row.fingerprint, fingerprint)
    if row.status_code is None or row.response is None:  # claimed by an older release, unfinished
        raise in_progress()
    return Answer(row.status_code, json.loads(row.response), replayed=True)


def _addresses(c: Connection, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {r.id: r for r in c.execute(_ADDRESSES, {"ids": sorted(set(ids))})}


def _shipping_address(body: dict[str, Any], buyer_id: int, addresses: dict[int, Any]) -> str:
    if "address_id" not in body:
        return json.dumps(body.get("shipping_address", {}))
    saved = addresses.get(body["address_id"])
    if saved is None or saved.buyer_id != buyer_id:
        raise Invalid(f"address_id {body['address_id']} is not one of your saved addresses")
    return json.dumps({k: getattr(saved, k) for k in ADDRESS_FIELDS})


def read_carts(
    c: Connection, buyer_ids: list[int], attributed_since: datetime, *, lock: bool
) -> tuple[dict[int, list[CartLine]], dict[int, list[int]], dict[int, int]]:
    """The buyers' carts with today's prices and commission rates (in product order), the ids of
    their lines, and the stock of their products; with `lock`, the products stay locked until
    the transaction ends. A line keeps its creator only if the hand-off that brought it is inside
    the attribution window."""
    carts: dict[int, list[CartLine]] = {}
    line_ids: dict[int, list[int]] = {}
    stock: dict[int, int] = {}
    if not buyer_ids:
        return carts, line_ids, stock
    for row in c.execute(_LOCKED_CARTS if lock else _CARTS, {"buyers": buyer_ids}):
        line_ids.setdefault(row.buyer_id, []).append(row.line_id)
        creator = row.creator_id if row.at is not None and row.at >= attributed_since else None
        carts.setdefault(row.buyer_id, []).append(
            CartLine(
                row.id,
                row.merchant_id,
                row.title,
                row.price_idr,
                row.quantity,
                row.attribution_id,
                row.commission_bp,
                creator_id=creator,
            )
        )
        stock[row.id] = row.stock
    return carts, line_ids, stock


def _take(stock: dict[int, int], lines: list[CartLine]) -> None:
    """Count the lines' units off the group's stock, all or nothing."""
    for line in lines:
        if stock[line.product_id] < line.quantity:
            raise OutOfStock(
                f"only fewer than {line.quantity} of {line.title!r} are left; "
                "lower the quantity or remove it from the cart"
            )
    for line in lines:
        stock[line.product_id] -= line.quantity


# ----------------------------------------------------------------------------------------------
# Writes: one statement per table for the whole group.


class StockMoved(Exception):
    """Stock changed between the group's read and its write: place the group one by one."""


def _write_stock(c: Connection, accepted: list[_Accepted]) -> None:
    taken: dict[int, int] = {}
    for item in accepted:
        for draft in item.drafts:
            for line in draft.lines:
                taken[line.product_id] = taken.get(line.product_id, 0) + line.quantity
    done = c.execute(_TAKE_STOCK, [{"pid": p, "units": n} for p, n in sorted(taken.items())])
    if done.rowcount != len(taken):
        raise StockMoved(f"{len(taken) - done.rowcount} product(s) changed while placing")


def _insert_orders(
    c: Connection,
    accepted: list[_Accepted],
    now: datetime,
    expires: datetime,
    rules: Rules,
) -> list[list[dict[str, Any]]]:
    """Every order of the group in one INSERT (ids returned in order), then their lines, stock
    holds, events and outbox messages in one multi-row INSERT each; the orders' views."""
    rows = [
        {
            "number": "KRJ-" + secrets.token_hex(6).upper(),
            "buyer_id": item.buyer_id,
            "merchant_id": draft.merchant_id,
            "status": OrderStatus.AWAITING_PAYMENT.value,
            "subtotal_idr": draft.subtotal_idr,
            "shipping_idr": draft.shipping_idr,
            "total_idr": draft.total_idr,
            "shipping_address": item.address,
            "tracking_number": None,
            "hold_expires_at": expires,
            "created_at": now,
            "updated_at": now,
            "platform_fee_bp": rules.platform_fee_bp,
            "refunded_idr": 0,
            "refunded_shipping_idr": 0,
            "completed_at": None,
            "released_at": None,
        }
        for item in accepted
        for draft in item.drafts
    ]
    ids = iter(c.execute(_INSERT_ORDERS, rows).scalars().all())
    placed: list[list[tuple[order_db.OrderRow, list[order_db.OrderLineRow]]]] = []
    row_iter = iter(rows)
    for item in accepted:
        mine = []
        for draft in item.drafts:
            # Transient rows, never in a session: what `order_view` and the events read.
            order = order_db.OrderRow(id=next(ids), **next(row_iter))
            mine.append((order, [_order_line(order.id, line) for line in draft.lines]))
        placed.append(mine)
    every = [pair for mine in placed for pair in mine]
    c.execute(
        _INSERT_ORDER_LINES,
        [{k: getattr(x, k) for k in _LINE_COLUMNS} for _, lines in every for x in lines],
    )
    c.execute(
        _INSERT_STOCK_HOLDS,
        [
            {
                "order_id": x.order_id,
                "product_id": x.product_id,
                "quantity": x.quantity,
                "expires_at": expires,
                "released_at": None,
            }
            for _, lines in every
            for x in lines
        ],
    )
    actors = [
        (order, f"buyer:{item.buyer_id}")
        for item, mine in zip(accepted, placed, strict=True)
        for order, _ in mine
    ]
    order_db.record_events_by(c, actors, None, "checkout", now)
    return [[order_db.order_view(c, order, lines) for order, lines in mine] for mine in placed]


def _order_line(order_id: int, line: CartLine) -> order_db.OrderLineRow:
    attributed = line.creator_id is not None
    return order_db.OrderLineRow(
        order_id=order_id,
        product_id=line.product_id,
        title=line.title,
        unit_price_idr=line.unit_price_idr,
        quantity=line.quantity,
        attribution_id=line.attribution_id if attributed else None,
        commission_bp=line.commission_bp if attributed else 0,
        refunded_quantity=0,
    )


# Built once: every group reuses the compiled statements (Core, no ORM unit of work).
_bs = buying_db.BuyerSessionRow
_SESSIONS = select(_bs.token_hash, _bs.buyer_id, _bs.expires_at).where(
    _bs.token_hash.in_(bindparam("hashes", expanding=True))
)
_k = buying_db.IdempotencyKeyRow
_STORED_KEYS = select(_k.buyer_id, _k.key, _k.fingerprint, _k.status_code, _k.response).where(
    tuple_(_k.buyer_id, _k.key).in_(bindparam("keys", expanding=True))
)
_a = buying_db.AddressRow
_ADDRESSES = select(_a.id, _a.buyer_id, *(getattr(_a, f) for f in ADDRESS_FIELDS)).where(
    _a.id.in_(bindparam("ids", expanding=True))
)
_p, _cl, _at = catalog_db.ProductRow, buying_db.CartLineRow, attribution_db.AttributionRow
_CARTS = (
    select(
        _cl.id.label("line_id"),
        _cl.buyer_id,
        _p.id,
        _p.merchant_id,
        _p.title,
        _p.price_idr,
        _p.stock,
        _cl.quantity,
        _cl.attribution_id,
        _p.commission_bp,
        _at.creator_id,
        _at.at,
    )
    .join(_p, _cl.product_id == _p.id)
    .outerjoin(_at, _cl.attribution_id == _at.id)
    .where(_cl.buyer_id.in_(bindparam("buyers", expanding=True)))
    .order_by(_p.id, _cl.buyer_id)
)
# PostgreSQL locks the products, in id order, as an UPDATE of their stock would: FOR NO KEY
# UPDATE lets rows that only refer to a product (cart lines, attributions, other groups' order
# lines) be written meanwhile. SQLite ignores it (one writer at a time).
_LOCKED_CARTS = _CARTS.with_for_update(of=_p, key_share=True)
_TAKE_STOCK = (
    update(_p)
    .where(_p.id == bindparam("pid"), _p.stock >= bindparam("units"))
    .values(stock=_p.stock - bindparam("units"))
)
_EMPTY_CARTS = delete(_cl).where(_cl.id.in_(bindparam("lines", expanding=True)))
_INSERT_KEYS = insert(buying_db.IdempotencyKeyRow.__table__)  # type: ignore[arg-type]
_orders = order_db.OrderRow.__table__
_INSERT_ORDERS = insert(_orders).returning(_orders.c.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
_INSERT_ORDER_LINES = insert(order_db.OrderLineRow.__table__)  # type: ignore[arg-type]
_INSERT_STOCK_HOLDS = insert(order_db.StockHoldRow.__table__)  # type: ignore[arg-type]
_LINE_COLUMNS = [c.key for c in order_db.OrderLineRow.__table__.columns if c.key != "id"]
