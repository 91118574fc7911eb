"""A group's reads: one statement each for the whole group (its buyers' sessions, their stored
answers, saved addresses, and their carts with the products locked)."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_

from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying.domain import (
    CartLine,
    check_same_request,
    courier,
    in_progress,
)
from keranjang.commerce.buying.group import ADDRESS_FIELDS, Answer, Ask
from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.errors import (
    CommerceError,
    Invalid,
    NotSelling,
    OutOfStock,
    Unauthenticated,
)


def buyers(c: Connection, asks: list[Ask], now: datetime) -> list[int | CommerceError]:
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


def stored_answers(c: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    if not keys:
        return {}
    rows = c.execute(_STORED_KEYS, {"keys": sorted(set(keys))})
    return {(r.buyer_id, r.key): r for r in rows}


def replayed(row: Any, fingerprint: str) -> Answer:
    check_same_request(row.fingerprint, fingerprint)
    if row.status_code is None or row.response is None:  # claimed by an older release, unfinished
        raise in_progress()
    return Answer(row.status_code, json.loads(row.response), replayed=True)


def addresses(c: Connection, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {r.id: r for r in c.execute(_ADDRESSES, {"ids": sorted(set(ids))})}


def shipping_address(body: dict[str, Any], buyer_id: int, addresses: dict[int, Any]) -> str:
    """Where the orders go (and with which courier, when one was chosen), as orders keep it."""
    if "address_id" not in body:
        given = dict(body.get("shipping_address", {}))
    else:
        saved = addresses.get(body["address_id"])
        if saved is None or saved.buyer_id != buyer_id:
            raise Invalid(
                f"address_id {body['address_id']} is not one of your saved addresses",
                code="no_address",
                params={"id": body["address_id"]},
            )
        given = {k: getattr(saved, k) for k in ADDRESS_FIELDS}
    if "courier" in body:
        given["courier"] = courier(body["courier"]).name
    return json.dumps(given)


def shipping_price(body: dict[str, Any], default_idr: int) -> int:
    """Each shop's shipping: the chosen courier's flat price, else the shop's default."""
    return courier(body["courier"]).price_idr if "courier" in body else default_idr


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


def not_selling(c: Connection, carts: dict[int, list[CartLine]]) -> dict[int, str]:
    """Of the carts' merchants, those not selling now (id -> name). Read after the products
    were locked, in a statement of its own: on PostgreSQL the migration's fence of a shop locks
    its products too, so a fence that committed while this group waited is seen here."""
    merchants = sorted({line.merchant_id for lines in carts.values() for line in lines})
    if not merchants:
        return {}
    return {r.id: r.name for r in c.execute(_NOT_SELLING, {"merchants": merchants})}


def check_selling(lines: list[CartLine], not_selling: dict[int, str]) -> None:
    for line in lines:
        if line.merchant_id in not_selling:
            raise NotSelling.shop(not_selling[line.merchant_id])


def take(stock: dict[int, int], lines: list[CartLine]) -> None:
    """Count the lines' units off the group's stock, all or nothing."""
    for line in lines:
        if stock[line.product_id] < line.quantity:
            raise OutOfStock(
                f"only fewer than {line.quantity} of {line.title!r} are left; "
                "lower the quantity or remove it from the cart",
                params={"title": line.title, "quantity": line.quantity},
            )
    for line in lines:
        stock[line.product_id] -= line.quantity


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
_m = catalog_db.MerchantRow
_NOT_SELLING = select(_m.id, _m.name).where(
    _m.id.in_(bindparam("merchants", expanding=True)), _m.selling.is_(False)
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
