"""Invoices: every paid order has one, issued as it is paid (see `order_tables.issue_invoice`),
with a stable number and link, shown as a page and as a PDF. Its buyer and its seller may read it;
nobody else learns that it exists."""

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.errors import Conflict, NotFound
from keranjang.commerce.orders import db as order_db

METHODS = {
    "virtual_account": "Virtual account",
    "qris": "QRIS",
    "ewallet": "E-wallet",
}
# A Unicode font for the PDF when the machine has one (Debian's fonts-dejavu-core, which
# Chromium pulls in); otherwise the PDF core font, which covers Latin-1.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


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

    @property
    def path(self) -> str:
        """The buyer's stable link to it."""
        return f"/orders/{self.order_id}/invoice"


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
                raise NotFound(f"no order with id {order_id} in your account")
            row = s.scalar(
                select(order_db.InvoiceRow).where(order_db.InvoiceRow.order_id == order_id)
            )
            if row is None:
                raise Conflict(
                    f"order {order.number} is {order.status}: an invoice is issued once it is paid"
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


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    body = asdict(invoice) | {"issued_at": invoice.issued_at.isoformat()}
    body["url"], body["pdf_url"] = invoice.path, f"{invoice.path}.pdf"
    return body


def pdf_filename(invoice: Invoice) -> str:
    return invoice.number.replace("/", "-") + ".pdf"


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parents[1] / "web" / "templates"),
    autoescape=select_autoescape(),
    auto_reload=False,
)
_templates.filters["rupiah"] = rupiah


def render_html(invoice: Invoice, pdf_path: str | None = None, back_path: str | None = None) -> str:
    """The invoice page; the links default to the buyer's (a seller's pages pass their own)."""
    return _templates.get_template("invoice.html").render(
        inv=invoice,
        pdf_path=pdf_path or f"{invoice.path}.pdf",
        back_path=back_path or f"/orders/{invoice.order_id}",
    )


def render_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF with the same content as the page."""
    pdf = _Document()
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.set_creator("Keranjang")
    pdf.add_page()
    _heading(pdf, invoice)
    _parties(pdf, invoice)
    _lines_table(pdf, invoice)
    _totals(pdf, invoice)
    return bytes(pdf.output())


class _Document(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        font = next((f for f in UNICODE_FONTS if f.is_file()), None)
        if font is not None:
            self.add_font("body", "", str(font))
            self.add_font("body", "B", str(font.with_name("DejaVuSans-Bold.ttf")))
            self.face = "body"
        else:
            self.face = "helvetica"
        self.set_margins(18, 18)

    def text_of(self, value: str) -> str:
        """Text this font can draw (the core font only knows Latin-1)."""
        if self.face == "body":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def write_line(self, text: str, size: float = 10, bold: bool = False, h: float = 5.5) -> None:
        self.set_font(self.face, "B" if bold else "", size)
        self.multi_cell(0, h, self.text_of(text), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: _Document, inv: Invoice) -> None:
    pdf.set_text_color(3, 172, 14)
    pdf.write_line("keranjang", 20, bold=True, h=9)
    pdf.set_text_color(33, 33, 33)
    pdf.write_line("INVOICE", 14, bold=True, h=8)
    pdf.write_line(f"Nomor invoice: {inv.number}", bold=True)
    pdf.write_line(f"Nomor pesanan: {inv.order_number}")
    pdf.write_line(f"Tanggal: {inv.issued_at:%d %b %Y %H:%M} UTC")
    pdf.write_line(f"Pembayaran: {inv.payment_method} (LUNAS)")
    pdf.ln(3)


def _parties(pdf: _Document, inv: Invoice) -> None:
    address = inv.shipping_address
    pdf.write_line("Penjual", bold=True)
    pdf.write_line(f"{inv.seller['name']} ({inv.seller.get('city') or 'Indonesia'})")
    pdf.ln(2)
    pdf.write_line("Pembeli", bold=True)
    pdf.write_line(f"{inv.buyer['name']} <{inv.buyer['email']}>")
    recipient = f"{address.get('recipient', '')}, {address.get('phone', '')}"
    where = (
        f"{address.get('street', '')}, {address.get('city', '')} {address.get('postal_code', '')}"
    )
    pdf.write_line(f"Dikirim ke: {recipient}")
    pdf.write_line(where)
    pdf.ln(4)


def _lines_table(pdf: _Document, inv: Invoice) -> None:
    widths = (92, 18, 32, 32)
    pdf.set_font(pdf.face, "", 10)
    with pdf.table(col_widths=widths, text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row(["Produk", "Jumlah", "Harga satuan", "Subtotal"])
        for line in inv.lines:
            table.row(
                [
                    pdf.text_of(line.title),
                    str(line.quantity),
                    rupiah(line.unit_price_idr),
                    rupiah(line.amount_idr),
                ]
            )
    pdf.ln(3)


def _totals(pdf: _Document, inv: Invoice) -> None:
    for label, amount, bold in (
        ("Subtotal produk", inv.subtotal_idr, False),
        ("Ongkos kirim", inv.shipping_idr, False),
        ("Total tagihan", inv.total_idr, True),
    ):
        pdf.set_font(pdf.face, "B" if bold else "", 11 if bold else 10)
        pdf.cell(142, 6, label, align="R")
        pdf.cell(32, 6, rupiah(amount), align="R", new_x="LMARGIN", new_y="NEXT")
