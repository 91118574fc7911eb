"""The business keys the journal keeps from an answer: a checkout's orders with their lines and
totals, a payment started, an order moved on by its seller or buyer, a product's new values."""

from collections.abc import Callable
from typing import Any

from keranjang.demo.traffic.http import Answer
from keranjang.demo.traffic.knowledge import Route

Keys = Callable[[Answer], dict[str, Any]]


def order_keys(side: Route, merchant: int | None = None) -> Keys:
    """A checkout's answer: each order's id, number, merchant (the legacy seller's id; in
    commerce also commerce's merchant id), total and lines as [product id, quantity, unit price]."""

    def keys(answer: Answer) -> dict[str, Any]:
        body = answer.body
        return {
            "side": side.value,
            "checkout_id": body.get("checkout_id"),
            "replayed": body.get("replayed"),
            "orders": [order_of(o, side, merchant) for o in body["orders"]],
        }

    return keys


def order_of(order: dict[str, Any], side: Route, merchant: int | None) -> dict[str, Any]:
    lines = [[ln["product_id"], ln["quantity"], ln["unit_price_idr"]] for ln in order["lines"]]
    out = {
        "id": order["id"],
        "number": order["number"],
        "merchant": order["seller_id"] if side is Route.LEGACY else merchant,
        "status": order["status"],
        "total_idr": order["total_idr"],
        "lines": lines,
    }
    if side is Route.COMMERCE:
        out["commerce_merchant_id"] = order["merchant_id"]
    return out


def payment_keys(order_id: int) -> Keys:
    def keys(answer: Answer) -> dict[str, Any]:
        body = answer.body if isinstance(answer.body, dict) else {}
        partner = body.get("partner_order_id") or body.get("partner_transaction_id")
        return {"order_id": order_id, "partner_id": partner}

    return keys


def moved_order_keys(answer: Answer) -> dict[str, Any]:
    """An order a seller or buyer moved on (shipped, delivered, cancelled, received)."""
    b = answer.body
    return {
        "order_id": b["id"],
        "number": b["number"],
        "status": b["status"],
        "tracking_number": b.get("tracking_number"),
        "lines": [[ln["product_id"], ln["quantity"], ln["unit_price_idr"]] for ln in b["lines"]],
    }


def product_keys(answer: Answer) -> dict[str, Any]:
    b = answer.body
    return {
        "product_id": b["id"],
        "seller_id": b["seller_id"],
        "price_idr": b["price_idr"],
        "stock": b["stock"],
    }
