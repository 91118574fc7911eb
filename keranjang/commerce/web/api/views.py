"""What the JSON API answers of orders, payments, refunds, payouts and statements: response
models built from the use cases' values, with the URLs only the web layer knows."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from keranjang.commerce.money.domain import (
    PaymentOutcome,
    PaymentView,
    PayoutBatch,
    RefundView,
    Statement,
)
from keranjang.commerce.money.invoices import Invoice
from keranjang.commerce.orders.domain import OrderView


class LineOut(BaseModel):
    product_id: int
    title: str
    unit_price_idr: int
    quantity: int


class HistoryOut(BaseModel):
    status: str
    at: datetime
    by: str
    reason: str


class InvoiceRefOut(BaseModel):
    number: str
    url: str
    pdf_url: str


class OrderOut(BaseModel):
    id: int
    number: str
    merchant_id: int
    status: str
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    refunded_idr: int
    tracking_number: str | None
    shipping_address: dict[str, str]
    hold_expires_at: datetime
    created_at: datetime
    invoice: InvoiceRefOut | None
    lines: list[LineOut]


class OrderDetailOut(OrderOut):
    """One order as its page shows it: with its history, oldest first."""

    history: list[HistoryOut]


def invoice_ref(view: OrderView) -> InvoiceRefOut | None:
    if view.invoice_number is None:
        return None
    path = f"/orders/{view.id}/invoice"
    return InvoiceRefOut(number=view.invoice_number, url=path, pdf_url=f"{path}.pdf")


def order_out(view: OrderView) -> OrderOut:
    fields = {
        k: v for k, v in vars(view).items() if k not in ("invoice_number", "lines", "history")
    }
    lines = [LineOut.model_validate(x, from_attributes=True) for x in view.lines]
    return OrderOut(**fields, invoice=invoice_ref(view), lines=lines)


def order_detail_out(view: OrderView) -> OrderDetailOut:
    history = [HistoryOut.model_validate(h, from_attributes=True) for h in view.history or ()]
    return OrderDetailOut(**order_out(view).model_dump(), history=history)


class PaymentOut(BaseModel):
    """The payment and, beside its fields, what the buyer needs to pay: `redirect_url` (the
    pay page), `va_number` and `bank`, or `qr_string`, by method."""

    model_config = ConfigDict(extra="allow")
    order_id: int
    partner: str
    partner_transaction_id: str
    method: str
    amount_idr: int
    status: str


def payment_out(view: PaymentView) -> PaymentOut:
    fields = {k: v for k, v in vars(view).items() if k != "instructions"}
    return PaymentOut(**view.instructions, **fields)


def with_payment(order: dict[str, Any], outcome: PaymentOutcome) -> dict[str, Any]:
    """A placed order of the checkout answer with its first payment, or why it has none."""
    if outcome.payment is None:
        return order | {"payment": None, "payment_error": outcome.error}
    return order | {"payment": payment_out(outcome.payment).model_dump(mode="json")}


class RefundLineOut(BaseModel):
    product_id: int
    quantity: int


class RefundOut(BaseModel):
    id: int
    order_id: int
    amount_idr: int
    shipping_idr: int
    lines: list[RefundLineOut]
    reason: str
    status: str
    error: str | None
    created_at: datetime
    updated_at: datetime


def refund_out(view: RefundView) -> RefundOut:
    return RefundOut.model_validate(view, from_attributes=True)


class PayoutLineOut(BaseModel):
    id: int
    payee_kind: str
    payee_id: int
    account: str
    amount_idr: int


class PayoutBatchOut(BaseModel):
    id: int
    partner: str
    created_at: datetime
    payout_count: int
    total_idr: int
    payouts: list[PayoutLineOut]


def batch_out(batch: PayoutBatch) -> PayoutBatchOut:
    return PayoutBatchOut.model_validate(batch, from_attributes=True)


class BalancesOut(BaseModel):
    pending_idr: int
    payable_idr: int


class MovementOut(BaseModel):
    at: datetime
    order_id: int | None
    order_number: str | None
    kind: str
    memo: str
    account: str
    in_idr: int
    out_idr: int


class StatementOut(BaseModel):
    merchant_id: int
    since: date | None
    until: date | None
    opening: BalancesOut
    movements: list[MovementOut]
    closing: BalancesOut
    paid_out_idr: int
    in_transit_idr: int = Field(
        0, description="Sent to the bank, not yet confirmed by the partner."
    )


def statement_out(statement: Statement) -> StatementOut:
    return StatementOut.model_validate(statement, from_attributes=True)


class InvoiceLineOut(BaseModel):
    title: str
    quantity: int
    unit_price_idr: int


class InvoiceOut(BaseModel):
    """An issued invoice as frozen when its order was paid, with its stable links."""

    number: str
    issued_at: datetime
    order_id: int
    order_number: str
    seller: dict[str, str]
    buyer: dict[str, str]
    shipping_address: dict[str, str]
    lines: list[InvoiceLineOut]
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    payment_method: str
    url: str
    pdf_url: str


def invoice_path(invoice: Invoice) -> str:
    """The buyer's stable link to an invoice."""
    return f"/orders/{invoice.order_id}/invoice"


def invoice_out(invoice: Invoice) -> InvoiceOut:
    fields = {k: v for k, v in vars(invoice).items() if k != "lines"}
    lines = [
        InvoiceLineOut(
            title=x.title,
            quantity=x.quantity,
            unit_price_idr=x.unit_price_idr,
            amount_idr=x.amount_idr,
        )
        for x in invoice.lines
    ]
    path = invoice_path(invoice)
    return InvoiceOut(**fields, lines=lines, url=path, pdf_url=f"{path}.pdf")
