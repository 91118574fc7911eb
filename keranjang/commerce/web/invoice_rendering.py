"""An issued invoice as people read it: the page (buyer's or seller's links) and an A4 PDF with
the same content, amounts in rupiah and the date in WIB with the reader's month names
(`web.formatting`), in the reader's language (`web.i18n`)."""

from pathlib import Path

from fastapi.responses import Response
from fpdf import FPDF

from keranjang.commerce.money.invoices import Invoice
from keranjang.commerce.web.formatting import for_locale, rupiah, wib
from keranjang.commerce.web.rendering import templates
from keranjang.infra.i18n import Words

INDONESIAN = Words("id")

# A Unicode font for the PDF when the machine has one (Debian's fonts-dejavu-core, which
# Chromium pulls in); otherwise the PDF core font, which covers Latin-1.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def buyer_invoice_path(order_id: int) -> str:
    """The buyer's stable link to an order's invoice (its PDF adds `.pdf`)."""
    return f"/orders/{order_id}/invoice"


def render_html(
    invoice: Invoice,
    pdf_path: str | None = None,
    back_path: str | None = None,
    *,
    words: Words = INDONESIAN,
    switch: str = "",
) -> str:
    """The invoice page in `words`' locale, `switch` the address of the other; the links
    default to the buyer's (the seller center passes its own)."""
    lang = f"?lang={words.lang}" if switch else ""
    return templates.get_template("invoice.html").render(
        inv=invoice,
        pdf_path=(pdf_path or f"{buyer_invoice_path(invoice.order_id)}.pdf") + lang,
        back_path=back_path or f"/orders/{invoice.order_id}",
        _=words._,
        w=words,
        lang=words.lang,
        switch=switch,
        **for_locale(words.lang),
    )


def pdf_filename(invoice: Invoice) -> str:
    return invoice.number.replace("/", "-") + ".pdf"


def pdf_response(invoice: Invoice, words: Words = INDONESIAN) -> Response:
    """The PDF, shown in the browser, never kept by a shared cache (it names the buyer)."""
    return Response(
        render_pdf(invoice, words),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{pdf_filename(invoice)}"',
            "Cache-Control": "no-store",
            "Content-Language": words.lang,
        },
    )


def render_pdf(invoice: Invoice, words: Words = INDONESIAN) -> bytes:
    """The invoice as an A4 PDF with the same content as the page, in `words`' locale."""
    pdf = _Document(words)
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.set_creator("Keranjang")
    pdf.add_page()
    _heading(pdf, invoice)
    _parties(pdf, invoice)
    _lines_table(pdf, invoice)
    _totals(pdf, invoice)
    return bytes(pdf.output())


class _Document(FPDF):
    def __init__(self, words: Words) -> None:
        super().__init__(format="A4")
        self.words = words
        self._ = words._
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
    _ = pdf._
    pdf.write_line("INVOICE", 14, bold=True, h=8)
    pdf.write_line(_("Nomor invoice: {number}", number=inv.number), bold=True)
    pdf.write_line(_("Nomor pesanan: {number}", number=inv.order_number))
    pdf.write_line(_("Tanggal: {date}", date=wib(inv.issued_at, pdf.words.lang)))
    pdf.write_line(_("Pembayaran: {method} (LUNAS)", method=inv.payment_method))
    pdf.ln(3)


def _parties(pdf: _Document, inv: Invoice) -> None:
    _ = pdf._
    address = inv.shipping_address
    pdf.write_line(_("Penjual"), bold=True)
    pdf.write_line(f"{inv.seller['name']} ({inv.seller.get('city') or 'Indonesia'})")
    pdf.ln(2)
    pdf.write_line(_("Pembeli"), bold=True)
    pdf.write_line(f"{inv.buyer['name']} <{inv.buyer['email']}>")
    recipient = f"{address.get('recipient', '')}, {address.get('phone', '')}"
    where = (
        f"{address.get('street', '')}, {address.get('city', '')} {address.get('postal_code', '')}"
    )
    pdf.write_line(_("Dikirim ke: {recipient}", recipient=recipient))
    pdf.write_line(where)
    if address.get("courier"):
        pdf.write_line(_("Kurir: {courier}", courier=address["courier"]))
    pdf.ln(4)


def _lines_table(pdf: _Document, inv: Invoice) -> None:
    widths = (92, 18, 32, 32)
    pdf.set_font(pdf.face, "", 10)
    with pdf.table(col_widths=widths, text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row([pdf._(h) for h in ("Produk", "Jumlah", "Harga satuan", "Subtotal")])
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
        pdf.cell(142, 6, pdf._(label), align="R")
        pdf.cell(32, 6, rupiah(amount), align="R", new_x="LMARGIN", new_y="NEXT")
