"""Invoices: every paid order has one, issued as it is paid (see `money.db.issue_invoice`), with
a stable number and link. Its buyer and its seller may read it; nobody else learns that it
exists. How it looks (page and PDF) is the web layer's: `web.invoice_rendering`."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Conflict, NotFound
from keranjang.commerce.orders import db as order_db

METHODS = {
    "virtual_account": "Virtual account",
    "qris": "QRIS",
    "ewallet": "E-wallet",
}


@dataclass(frozen=True)
class InvoiceLine:
    title: str
    quantity: int
    unit_price_idr: int

    @property
    def amount_idr(self) -> int:
        return self.quantity * self.unit_price_idr


@dataclass(frozen=True)
class Invoice:
    number: str
    issued_at: datetime
    order_id: int
    order_number: str
    seller: dict[str, str]
    buyer: dict[str, str]
    shipping_address: dict[str, str]
    lines: tuple[InvoiceLine, ...]
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    payment_method: str


class InvoiceService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def for_buyer(self, buyer_id: int, order_id: int) -> Invoice:
        return self._read(order_id, lambda order: order.buyer_id == buyer_id)

    def for_merchant(self, merchant_id: int, order_id: int) -> Invoice:
        return self._read(order_id, lambda order: order.merchant_id == merchant_id)

    def _read(self, order_id: int, allowed: Any) -> Invoice:
        with self.sessions() as s:
            order = s.get(order_db.OrderRow, order_id)
            if order is None or not allowed(order):
                raise NotFound(
                    f"no order with id {order_id} in your account",
                    code="not_your_order",
                    params={"id": order_id},
                )
            row = s.scalar(
                select(order_db.InvoiceRow).where(order_db.InvoiceRow.order_id == order_id)
            )
            if row is None:
                raise Conflict(
                    f"order {order.number} is {order.status}: an invoice is issued once it is paid",
                    code="invoice_after_payment",
                    params={"number": order.number},
                )
            return _invoice(row)


def _invoice(row: order_db.InvoiceRow) -> Invoice:
    body = json.loads(row.body)
    payment = body["payment"] or {}
    return Invoice(
        number=row.number,
        issued_at=row.issued_at,
        order_id=body["order_id"],
        order_number=body["order_number"],
        seller=body["seller"],
        buyer=body["buyer"],
        shipping_address=body["shipping_address"],
        lines=tuple(
            InvoiceLine(x["title"], x["quantity"], x["unit_price_idr"]) for x in body["lines"]
        ),
        subtotal_idr=body["subtotal_idr"],
        shipping_idr=body["shipping_idr"],
        total_idr=body["total_idr"],
        payment_method=METHODS.get(payment.get("method", ""), payment.get("method", "-")),
    )
