"""The invoice PDF renders with a Unicode font when the machine has one, and without one too."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from keranjang.commerce.money.invoices import Invoice, InvoiceLine
from keranjang.commerce.web import invoice_rendering as invoices

INVOICE = Invoice(
    number="INV/20261122/KRJ/0000000042",
    issued_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
    order_id=42,
    order_number="KRJ-0A1B2C3D4E5F",
    seller={"name": "Toko Shenzhen", "city": "Shenzhen"},
    buyer={"name": "Siti Rahma", "email": "siti@example.com"},
    shipping_address={
        "recipient": "Siti",
        "phone": "+6281234567890",
        "street": "Jl. Merdeka 17",
        "city": "Bandung",
        "postal_code": "40111",
    },
    lines=(InvoiceLine("Earbuds 耳机 Pro", 2, 945_000),),
    subtotal_idr=1_890_000,
    shipping_idr=15_000,
    total_idr=1_905_000,
    payment_method="QRIS",
)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_without_a_unicode_font_the_pdf_still_says_every_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(invoices, "UNICODE_FONTS", ())
    text = text_of(invoices.render_pdf(INVOICE))
    for expected in (INVOICE.number, "Rp945.000", "Rp1.890.000", "Rp1.905.000", "Earbuds"):
        assert expected in text


def test_the_html_invoice_shows_lines_and_totals() -> None:
    html = invoices.render_html(INVOICE)
    assert "Earbuds 耳机 Pro" in html and "Rp1.905.000" in html
    assert 'href="/orders/42/invoice.pdf"' in html
