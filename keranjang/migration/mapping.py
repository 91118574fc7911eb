"""How a legacy row becomes commerce's row, and back, as plain functions of plain values (no
web, no database): the one place that knows both schemas.

Rows come in as mappings (a database row's `._mapping`, or a dict) and go out as dicts of
commerce's (or, back, the legacy shop's) column values. Ids of the other side are given by the
caller, from the journal's id map. Order states are the same values on both sides; legacy order
numbers (`LGC-…`) are kept, so a payment the app started at the partner (`LGC-…[-n]`) keeps
resolving in commerce; a legacy order's viewer becomes a commerce buyer of its own (an unclaimed
account: no password, no social identifier); a shipping address's JSON is kept as it was.

A legacy order may hold several payment attempts; commerce keeps one payment per order (a new
attempt replaces the one the partner ended), so an order's latest attempt is its payment there.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keranjang.commerce.catalog.domain import missing_for_foreign
from keranjang.social.legacy_shop import domain as legacy_domain

Row = Mapping[Any, Any]  # a database row's mapping, or a dict
Values = dict[str, Any]

# The listing fields both sides have, with the same names and meanings.
LISTING = (
    "title", "description", "price_idr", "stock", "category", "image_url", "hs_code",
    "origin_country", "cross_border", "fob_usd_cents", "npb_number", "sni_number",
    "halal_number", "commission_bp",
)  # fmt: skip
FOREIGN_FACTS = (
    "owner_name", "identity_document", "business_legality_document", "legalisation_reference",
    "sni_certificate", "halal_certificate", "description_id", "origin_country", "origin_city",
)  # fmt: skip
ORDER_FIELDS = (
    "number", "status", "subtotal_idr", "shipping_idr", "total_idr", "platform_fee_bp",
    "shipping_address", "tracking_number", "hold_expires_at", "completed_at", "created_at",
    "updated_at",
)  # fmt: skip
PAYMENT_FIELDS = (
    "attempt", "partner", "partner_transaction_id", "method", "amount_idr", "status",
    "instructions", "created_at", "updated_at",
)  # fmt: skip
OPEN_REFUND_STATUSES = ("requested", "succeeded")  # a refund that took (or is taking) goods
ACTOR_MAX = 40  # commerce's order_events.actor; the app allowed 60


class Unmappable(ValueError):
    """A row that cannot be written on the other side (the message names it and why)."""


# -- the merchant -----------------------------------------------------------------------------


def moving_marker(token_digest: str) -> str:
    """The `token_hash` a bound merchant has in commerce until its cutover: derived from the
    seller's token digest (so the merchant is found again after a crash) but the digest of no
    token anyone holds, so the seller tools in commerce open only at the cutover, when the
    seller's own digest replaces it."""
    return hashlib.sha256(f"moving:{token_digest}".encode()).hexdigest()


def free_slug(wanted: str, taken: Iterable[str]) -> str:
    """The seller's slug if commerce has no shop there, else `<slug>-moved`, `-moved-2`, …"""
    taken = set(taken)
    if wanted not in taken:
        return wanted
    for n in range(1, 1000):
        candidate = f"{wanted[:40]}-moved" + ("" if n == 1 else f"-{n}")
        if candidate not in taken:
            return candidate
    raise Unmappable(f"no free shop address near {wanted!r}")


def merchant(seller: Row, slug: str, at: datetime) -> Values:
    return {
        "slug": slug,
        "name": seller["name"],
        "kind": seller["kind"],
        "city": seller["city"],
        "token_hash": moving_marker(seller["token_digest"]),
        "created_at": at,
        "selling": False,  # until the cutover: nothing of it is on sale in commerce before
    }


def application(seller: Row, merchant_id: int, at: datetime) -> Values | None:
    """A foreign seller's Pasal 5 facts as a merchant application, complete or listing what is
    missing; None for a local seller (commerce keeps no application for those)."""
    if seller["kind"] != "foreign":
        return None
    submitted = {k: seller[k] for k in FOREIGN_FACTS}
    return {
        "slug": seller["slug"],
        "name": seller["name"],
        "kind": seller["kind"],
        "city": seller["city"],
        "submitted": json.dumps(submitted, sort_keys=True),
        "missing": json.dumps(missing_for_foreign(submitted)),
        "merchant_id": merchant_id,
        "created_at": at,
        "updated_at": at,
    }


def payout_account(account: Row, merchant_id: int) -> Values:
    return {
        "merchant_id": merchant_id,
        "bank_code": account["bank_code"],
        "account_number": account["account_number"],
        "holder_name": account["holder_name"],
        "updated_at": account["updated_at"],
    }


# -- catalog, buyers, orders ------------------------------------------------------------------


def product(p: Row, merchant_id: int) -> Values:
    return {
        "merchant_id": merchant_id,
        **{f: p[f] for f in LISTING},
        "created_at": p["created_at"],
        "updated_at": p["updated_at"],
    }


def buyer(viewer: Row) -> Values:
    """A viewer who bought from the seller, as an unclaimed commerce account: the email, name
    and phone it bought with, no password, nothing naming the viewer."""
    email = str(viewer["email"]).strip().lower()
    if not email or len(email) > 254:
        raise Unmappable(f"viewer {viewer['id']}: no usable email")
    phone = (viewer.get("phone") or "").strip()[:16] or None
    return {
        "email": email,
        "name": (str(viewer["name"]).strip() or email)[:120],
        "password_hash": None,
        "phone": phone,
        "created_at": viewer["created_at"],
        "claimed_at": None,
    }


def address(a: Row, buyer_id: int) -> Values:
    return {
        "buyer_id": buyer_id,
        **{f: a[f] for f in ("label", "recipient", "phone", "street", "city", "postal_code")},
        "created_at": a["created_at"],
    }


@dataclass(frozen=True)
class OrderIds:
    merchant_id: int
    buyer_id: int


def order(o: Row, ids: OrderIds) -> Values:
    """In the row, from the source: `refunded_idr`, what refunds took or are taking;
    `order_refunded`, whether the app refunds the whole order; `partly_shipping_idr`, the
    shipping refunds made in commerce before a rollback took."""
    values = {f: o[f] for f in ORDER_FIELDS}
    completed = o["status"] in ("completed", "refunded") and o["completed_at"] is not None
    whole = o.get("order_refunded")
    return values | {
        "merchant_id": ids.merchant_id,
        "buyer_id": ids.buyer_id,
        "refunded_idr": int(o.get("refunded_idr") or 0),
        "refunded_shipping_idr": o["shipping_idr"]
        if whole
        else int(o.get("partly_shipping_idr") or 0),
        # Settled in the app: nothing is held here to release after the refund window.
        "released_at": o["completed_at"] if completed else None,
    }


def attribution(x: Row, product_id: int, merchant_id: int) -> Values | None:
    """A creator's line of the app as commerce's attribution (so the creator's commission is
    paid when the order completes there): the app knew only the creator, no content or pin;
    `order_created_at` (in the row, from the source) is when the creator brought it. None for a
    line no creator brought."""
    if x.get("creator_id") is None:
        return None
    return {
        "jti": f"moved:{x['id']}",
        "creator_id": x["creator_id"],
        "content_id": None,
        "pin_id": None,
        "product_id": product_id,
        "merchant_id": merchant_id,
        "campaign": None,
        "at": x["order_created_at"],
    }


def line(x: Row, order_id: int, product_id: int, attribution_id: int | None = None) -> Values:
    """`order_refunded` (in the row, from the source): the app refunds whole orders; units
    refunded in commerce before a rollback are the line's own `refunded_quantity`.
    `attribution_id`: the line's attribution in commerce, if a creator brought it."""
    return {
        "order_id": order_id,
        "product_id": product_id,
        "title": x["title"],
        "unit_price_idr": x["unit_price_idr"],
        "quantity": x["quantity"],
        "attribution_id": attribution_id,
        "commission_bp": x["commission_bp"],
        "refunded_quantity": (
            x["quantity"] if x.get("order_refunded") else int(x.get("refunded_quantity") or 0)
        ),
    }


def hold(h: Row, order_id: int, product_id: int) -> Values:
    return {
        "order_id": order_id,
        "product_id": product_id,
        "quantity": h["quantity"],
        "expires_at": h["expires_at"],
        "released_at": h["released_at"],
    }


def event(e: Row, order_id: int) -> Values:
    return {
        "order_id": order_id,
        "from_status": e["from_status"],
        "to_status": e["to_status"],
        "actor": str(e["actor"])[:ACTOR_MAX],
        "reason": e["reason"],
        "at": e["at"],
    }


def payment(p: Row, order_id: int) -> Values:
    """An order's latest payment attempt, as its one payment in commerce."""
    return {"order_id": order_id, **{f: p[f] for f in PAYMENT_FIELDS}}


def refund_lines(r: Row) -> dict[int, int] | None:
    """The units (legacy product id -> quantity) a refund made in commerce before a rollback
    took; None for the app's own (the whole order, or a second payment)."""
    if r.get("lines") is None:
        return None
    return {int(p): int(n) for p, n in json.loads(r["lines"]).items()}


def refund(r: Row, order_id: int, lines: Mapping[int, int]) -> Values:
    """A legacy refund (`lines`: the commerce product ids and quantities it took). The app
    refunded whole orders (`order`), out of escrow or, after completion, out of the shares; or
    a second payment (`stray`); a refund made in commerce before a rollback took part of one
    (its own units and shipping)."""
    stray = r["kind"] == "stray"
    shipping = r.get("shipping_idr")
    if shipping is None:
        shipping = 0 if stray else int(r.get("order_shipping_idr") or 0)
    stage = "stray" if stray else ("shares" if r.get("order_completed_at") else "escrow")
    then = r.get("order_status") if r.get("order_status") in ("refunded", "cancelled") else None
    return {
        "order_id": order_id,
        "refund_key": r["refund_key"],
        "amount_idr": r["amount_idr"],
        "shipping_idr": int(shipping),
        "lines": json.dumps({} if stray else {str(k): v for k, v in sorted(lines.items())}),
        "reason": r["reason"],
        "actor": "system:legacy-shop",
        "stage": stage,
        "partner_order_id": r["partner_order_id"],
        "then_status": None if stray else then,
        "status": r["status"],
        "partner_refund_id": None,
        "error": (r.get("last_error") or "")[:300] or None,
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
    }


# -- back to the app (rollback) ---------------------------------------------------------------


def paid_through(p: Row, number: str) -> str:
    """The id the partner knows a commerce payment by, as commerce's
    `payment_news.paid_through` reads it: the order's number and attempt, or the checkout's one
    payment (`KRG-…`) for several orders, named in the payment's instructions."""
    own = legacy_domain.partner_order_id(number, int(p["attempt"]))
    return legacy_domain.known_by(own, str(p["instructions"] or "{}"))


def back_order(o: Row, seller_id: int, viewer_id: int, checkout_id: int) -> Values:
    if len(o["number"]) > 32:
        raise Unmappable(f"order {o['number']}: the number does not fit the app's 32 characters")
    values = {f: o[f] for f in ORDER_FIELDS}
    return values | {
        "seller_id": seller_id,
        "viewer_id": viewer_id,
        "checkout_id": checkout_id,
        "paid_by": None,
        "delivered_at": None,
    }


def back_order_state(o: Row) -> Values:
    """What a moved order's own row takes back: its state and what came with it."""
    keys = ("status", "tracking_number", "completed_at", "updated_at", "hold_expires_at")
    return {k: o[k] for k in keys}


def back_line(x: Row, order_id: int, product_id: int) -> Values:
    """A line placed in commerce as the app keeps it; `creator_id` (in the row, from its
    attribution) the creator who brought it, so the app pays that creator the commission its
    rate names when the order completes (a line no creator brought has rate 0 in commerce)."""
    keys = ("title", "unit_price_idr", "quantity", "commission_bp", "creator_id")
    return {"order_id": order_id, "product_id": product_id} | {k: x[k] for k in keys}


def back_payment(p: Row, order_id: int, number: str) -> Values:
    values = {f: p[f] for f in PAYMENT_FIELDS}
    return values | {
        "order_id": order_id,
        "partner_order_id": legacy_domain.partner_order_id(number, int(p["attempt"])),
    }


def back_event(e: Row, order_id: int) -> Values:
    return {"order_id": order_id} | {
        k: e[k] for k in ("from_status", "to_status", "actor", "reason", "at")
    }


def back_product(p: Row) -> Values:
    """What a product takes back: its listing as the merchant left it in commerce, and stock."""
    return {f: p[f] for f in LISTING} | {"updated_at": p["updated_at"]}
