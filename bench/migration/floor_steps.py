"""What the floor's remapping copy reads from social and writes into commerce, step by step: the
engine's steps (source.STEPS, parents before children) over every seller at once, each a
statement on social, commerce's real table with the columns `keranjang.migration.mapping`
writes there, and the Python that turns a legacy row into commerce's: tuples in, tuples out,
one dict lookup per foreign key (the ids commerce handed out for earlier steps).

A row read from social is `(legacy key, seller, …)`; `convert` gets it with the maps so far
(kind -> legacy id -> commerce id; "merchant" is keyed by the seller) and answers the commerce
row without its id, which the caller reserves from commerce's sequence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keranjang.migration import mapping
from keranjang.social.legacy_shop.books import PARTLY

Maps = Mapping[str, Mapping[int, int]]
Row = tuple[Any, ...]

ORDER_FIELDS = ", ".join(f"o.{f}" for f in mapping.ORDER_FIELDS)
PAYMENT_FIELDS = ", ".join(f"p.{f}" for f in mapping.PAYMENT_FIELDS)
LISTING = ", ".join(mapping.LISTING)
OPEN = ", ".join(f"'{s}'" for s in mapping.OPEN_REFUND_STATUSES)
# A viewer becomes one buyer, kept under the first seller it bought from (the engine's owner).
FIRST_SELLER = "(SELECT viewer_id, min(seller_id) AS seller_id FROM legacy_orders GROUP BY 1)"


@dataclass(frozen=True)
class Step:
    kind: str  # the id map's kind
    table: str  # commerce's table
    columns: tuple[str, ...]  # commerce's columns after `id`
    query: str  # on social: the legacy key, the seller, then what `convert` reads
    convert: Callable[[Row, Maps], Row]
    mapped: bool = True  # whether the journal keeps the row's ids (addresses: no)


def _merchant(r: Row, m: Maps) -> Row:
    _, _, slug, name, kind, city, digest, at = r
    return (slug, name, kind, city, mapping.moving_marker(digest), at, False)


def _product(r: Row, m: Maps) -> Row:
    return (m["merchant"][r[1]], *r[2:])


def _buyer(r: Row, m: Maps) -> Row:
    _, _, email, name, phone, at = r
    email = str(email).strip().lower()
    return (email, (str(name).strip() or email)[:120], None, (phone or "").strip()[:16] or None,
            at, None)  # fmt: skip


def _address(r: Row, m: Maps) -> Row:
    return (m["buyer"][r[2]], *r[3:])


def _order(r: Row, m: Maps) -> Row:
    """`taken`: what refunds took or are taking; `whole`: the app refunds the whole order;
    `partly`: the shipping refunds made in commerce before a rollback took."""
    fields, (taken, whole, partly) = r[3:-3], r[-3:]
    status, shipping, completed_at = fields[1], fields[3], fields[9]
    released = completed_at if status in ("completed", "refunded") and completed_at else None
    return (m["merchant"][r[1]], m["buyer"][r[2]], *fields, int(taken or 0),
            shipping if whole else int(partly or 0), released)  # fmt: skip


def _attribution(r: Row, m: Maps) -> Row:
    line_id, seller, creator_id, product_id, at = r
    return (f"moved:{line_id}", creator_id, None, None, m["product"][product_id],
            m["merchant"][seller], None, at)  # fmt: skip


def _line(r: Row, m: Maps) -> Row:
    line_id, _, order_id, product_id, title, price, quantity, commission, whole, units = r
    return (m["order"][order_id], m["product"][product_id], title, price, quantity,
            m["attribution"].get(line_id), commission,
            quantity if whole else int(units or 0))  # fmt: skip


def _of_order(r: Row, m: Maps) -> Row:
    return (m["order"][r[2]], *r[3:])


def _hold(r: Row, m: Maps) -> Row:
    return (m["order"][r[2]], m["product"][r[3]], *r[4:])


def _event(r: Row, m: Maps) -> Row:
    _, _, order_id, from_status, to_status, actor, reason, at = r
    return (m["order"][order_id], from_status, to_status, str(actor)[: mapping.ACTOR_MAX],
            reason, at)  # fmt: skip


def _refund(r: Row, m: Maps) -> Row:
    """`left`: the order's units not refunded in part (what a whole-order refund took);
    `own`, `own_shipping`: what a refund made in commerce before a rollback took."""
    (_, _, order_id, kind, key, amount, reason, partner_order_id, status, error, created,
     updated, order_status, order_completed_at, order_shipping, left, own,
     own_shipping) = r  # fmt: skip
    stray = kind == "stray"
    took = (left or {}) if own is None else json.loads(own)
    products = m["product"]
    moved = {} if stray else dict(sorted((products[int(p)], n) for p, n in took.items() if n))
    then = order_status if order_status in ("refunded", "cancelled") else None
    if own_shipping is None:
        own_shipping = 0 if stray else int(order_shipping or 0)
    return (m["order"][order_id], key, amount, int(own_shipping),
            json.dumps({str(k): v for k, v in moved.items()}), reason, "system:legacy-shop",
            "stray" if stray else ("shares" if order_completed_at else "escrow"),
            partner_order_id, None if stray else then, status, None,
            (error or "")[:300] or None, created, updated)  # fmt: skip


# The steps in order: every table a step names comes before it.
STEPS = (
    Step("merchant", "merchants", ("slug", "name", "kind", "city", "token_hash", "created_at",
                                   "selling"),
         "SELECT id, id, slug, name, kind, city, token_digest, created_at "
         "FROM legacy_sellers", _merchant),
    Step("product", "products", ("merchant_id", *mapping.LISTING, "created_at", "updated_at"),
         f"SELECT id, seller_id, {LISTING}, created_at, updated_at FROM legacy_products",
         _product),
    Step("buyer", "buyers", ("email", "name", "password_hash", "phone", "created_at",
                             "claimed_at"),
         "SELECT v.id, b.seller_id, v.email, v.name, p.phone, v.created_at FROM viewers v "
         f"JOIN {FIRST_SELLER} b ON b.viewer_id = v.id "
         "LEFT JOIN legacy_buyer_profiles p ON p.viewer_id = v.id", _buyer),
    Step("address", "buyer_addresses", ("buyer_id", "label", "recipient", "phone", "street",
                                        "city", "postal_code", "created_at"),
         "SELECT a.id, b.seller_id, a.viewer_id, a.label, a.recipient, a.phone, a.street, "
         f"a.city, a.postal_code, a.created_at FROM legacy_addresses a JOIN {FIRST_SELLER} b "
         "ON b.viewer_id = a.viewer_id", _address, mapped=False),
    Step("order", "orders", ("merchant_id", "buyer_id", *mapping.ORDER_FIELDS, "refunded_idr",
                             "refunded_shipping_idr", "released_at"),
         f"SELECT o.id, o.seller_id, o.viewer_id, {ORDER_FIELDS}, r.taken, r.whole, r.partly "
         "FROM legacy_orders o LEFT JOIN (SELECT order_id, sum(amount_idr) FILTER (WHERE "
         f"kind IN ('order', '{PARTLY}') AND status IN ({OPEN})) AS taken, bool_or(kind = "
         f"'order' AND status IN ({OPEN})) AS whole, sum(shipping_idr) FILTER (WHERE kind = "
         f"'{PARTLY}' AND status = 'succeeded') AS partly FROM legacy_refunds GROUP BY 1) r "
         "ON r.order_id = o.id", _order),
    Step("attribution", "attributions", ("jti", "creator_id", "content_id", "pin_id",
                                         "product_id", "merchant_id", "campaign", "at"),
         "SELECT l.id, o.seller_id, l.creator_id, l.product_id, o.created_at "
         "FROM legacy_order_lines l JOIN legacy_orders o ON o.id = l.order_id "
         "WHERE l.creator_id IS NOT NULL", _attribution),
    Step("line", "order_lines", ("order_id", "product_id", "title", "unit_price_idr",
                                 "quantity", "attribution_id", "commission_bp",
                                 "refunded_quantity"),
         "SELECT l.id, o.seller_id, l.order_id, l.product_id, l.title, l.unit_price_idr, "
         "l.quantity, l.commission_bp, EXISTS (SELECT 1 FROM legacy_refunds r WHERE "
         f"r.order_id = l.order_id AND r.kind = 'order' AND r.status IN ({OPEN})), "
         "l.refunded_quantity FROM legacy_order_lines l JOIN legacy_orders o ON o.id = l.order_id", _line),
    Step("hold", "stock_holds", ("order_id", "product_id", "quantity", "expires_at",
                                 "released_at"),
         "SELECT h.id, o.seller_id, h.order_id, h.product_id, h.quantity, h.expires_at, "
         "h.released_at FROM legacy_stock_holds h JOIN legacy_orders o ON o.id = h.order_id",
         _hold),
    Step("event", "order_events", ("order_id", "from_status", "to_status", "actor", "reason",
                                   "at"),
         "SELECT e.id, o.seller_id, e.order_id, e.from_status, e.to_status, e.actor, "
         "e.reason, e.at FROM legacy_order_events e JOIN legacy_orders o "
         "ON o.id = e.order_id", _event),
    # An order's latest attempt is its one payment in commerce, keyed by the order.
    Step("payment", "payments", ("order_id", *mapping.PAYMENT_FIELDS),
         f"SELECT DISTINCT ON (p.order_id) p.order_id, o.seller_id, p.order_id, "
         f"{PAYMENT_FIELDS} FROM legacy_payments p JOIN legacy_orders o "
         "ON o.id = p.order_id ORDER BY p.order_id, p.attempt DESC", _of_order),
    Step("refund", "refunds", ("order_id", "refund_key", "amount_idr", "shipping_idr",
                               "lines", "reason", "actor", "stage", "partner_order_id",
                               "then_status", "status", "partner_refund_id", "error",
                               "created_at", "updated_at"),
         "SELECT r.id, o.seller_id, r.order_id, r.kind, r.refund_key, r.amount_idr, "
         "r.reason, r.partner_order_id, r.status, r.last_error, r.created_at, r.updated_at, "
         "o.status, o.completed_at, o.shipping_idr, (SELECT json_object_agg(product_id, q) "
         "FROM (SELECT product_id, sum(quantity - refunded_quantity) AS q "
         "FROM legacy_order_lines WHERE order_id = r.order_id GROUP BY 1) x), r.lines, "
         "r.shipping_idr FROM legacy_refunds r "
         "JOIN legacy_orders o ON o.id = r.order_id", _refund),
)  # fmt: skip
