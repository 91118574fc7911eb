"""The buyer's pay page: the amount, the order, a virtual account, QRIS and an e-wallet to choose
from, "Bayar" and "Batalkan". Paying or cancelling sends the buyer on to the shop's finish URL."""

import hashlib
from pathlib import Path as FilePath
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from keranjang.infra.runtime import call_blocking
from keranjang.payments import midtrans_wire as wire
from keranjang.payments.simulator import domain
from keranjang.payments.simulator.api import Service
from keranjang.payments.simulator.i18n import CATALOG, N_, page_words

TransactionId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]+$")]
METHOD_NAMES = {
    domain.PaymentType.BANK_TRANSFER: "Virtual Account",
    domain.PaymentType.QRIS: "QRIS",
    domain.PaymentType.GOPAY: "GoPay",
}
# What the pay page says of a refusal, by the simulator's error class (its developer message is
# English, for the API and the logs).
HEADINGS = {
    404: N_("Pembayaran tidak ditemukan"),
    409: N_("Pembayaran sudah ditutup"),
}
SOMETHING_WRONG = N_("Ada masalah")
SAID = {
    domain.NotFound: N_("Pembayaran itu tidak ada. Kembali ke toko dan mulai lagi dari pesanan."),
    domain.Conflict: N_(
        "Pembayaran ini sudah selesai, dibatalkan, atau lewat waktu: tidak bisa diubah lagi. "
        "Kembali ke toko untuk melihat pesanannya."
    ),
    domain.Invalid: N_("Pilih salah satu metode pembayaran, lalu tekan Bayar."),
    domain.NotPermitted: N_("Permintaan ini tidak diizinkan."),
    domain.Unauthenticated: N_("Permintaan ini perlu kunci server toko."),
}
# What `infra.error_pages` says of an unknown or malformed address, worded for the pay page.
ADDRESS_HEADINGS = (
    N_("Halaman tidak ditemukan"),
    N_("Halaman ini tidak bisa dibuka dengan cara itu"),
    N_("Alamat tidak sah"),
)
QR_SIZE = 29  # modules per side, like a version-3 QR code

templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")
templates.env.auto_reload = False  # templates ship with the package; never re-stat them


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


templates.env.filters["rupiah"] = rupiah
router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """A page in the buyer's language: Indonesian unless `?lang=en`, the remembered switch or
    the browser asks for English."""
    words, page = page_words(request)
    response = templates.TemplateResponse(request, name, context | page, status_code=status_code)
    CATALOG.remember(request, response, words)
    return response


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return render(request, "index.html")


@router.get("/pay/{transaction_id}", response_class=HTMLResponse)
def pay_page(request: Request, transaction_id: TransactionId, svc: Service) -> HTMLResponse:
    tx = svc.transaction(transaction_id)
    return render(request, "pay.html", tx=tx, methods=METHOD_NAMES)


@router.post("/pay/{transaction_id}")
async def pay(request: Request, transaction_id: TransactionId, svc: Service) -> Response:
    paid_with = chosen_method(await request.body())
    dialect = request.app.state.engine.dialect.name
    tx = await call_blocking(dialect, lambda: svc.pay(transaction_id, paid_with))
    return back_to_shop(tx)


@router.post("/pay/{transaction_id}/cancel")
async def cancel(request: Request, transaction_id: TransactionId, svc: Service) -> Response:
    dialect = request.app.state.engine.dialect.name
    return back_to_shop(await call_blocking(dialect, lambda: svc.cancel(transaction_id)))


@router.get("/pay/{transaction_id}/qris.svg")
def qris_image(transaction_id: TransactionId, svc: Service) -> Response:
    svg = qris_svg(svc.transaction(transaction_id).qr_string)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


def chosen_method(form: bytes) -> domain.PaymentType:
    # A two-field form, parsed with the standard library rather than adding python-multipart.
    values = parse_qs(form.decode("utf-8", "replace"), max_num_fields=10)
    choice = values.get("method", [""])[0]
    try:
        return domain.PaymentType(choice)
    except ValueError:
        names = ", ".join(m.value for m in domain.PaymentType)
        raise domain.Invalid(f"choose how to pay: one of {names}") from None


def back_to_shop(tx: domain.Transaction) -> RedirectResponse:
    """To the shop's finish URL with the outcome in the query, as Midtrans does; without one,
    back to the pay page, which now shows the outcome."""
    if tx.finish_redirect_url is None:
        return RedirectResponse(f"/pay/{tx.transaction_id}", status_code=303)
    outcome = {
        "order_id": tx.order_id,
        "status_code": wire.STATUS_CODES[tx.status],
        "transaction_status": tx.status.value,
    }
    return RedirectResponse(with_query(tx.finish_redirect_url, outcome), status_code=303)


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def qris_svg(payload: str) -> str:
    """A QR-like picture of the payload: three finder squares and modules drawn from its hash.
    It is not a scannable QR code; the simulator needs no QR library for a picture."""
    bits = "".join(
        f"{int(hashlib.sha256(f'{payload}:{i}'.encode()).hexdigest(), 16):0256b}" for i in range(4)
    )
    cells = [
        f'<rect x="{x}" y="{y}" width="1" height="1"/>'
        for y in range(QR_SIZE)
        for x in range(QR_SIZE)
        if not in_finder(x, y) and bits[y * QR_SIZE + x] == "1"
    ]
    finders = "".join(finder(x, y) for x, y in ((0, 0), (QR_SIZE - 7, 0), (0, QR_SIZE - 7)))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 {QR_SIZE + 4} {QR_SIZE + 4}" '
        'shape-rendering="crispEdges"><rect x="-2" y="-2" width="100%" height="100%" fill="#fff"/>'
        f'<g fill="#111">{finders}{"".join(cells)}</g></svg>'
    )


def in_finder(x: int, y: int) -> bool:
    near = QR_SIZE - 8
    return (x < 8 and y < 8) or (x >= near and y < 8) or (x < 8 and y >= near)


def finder(x: int, y: int) -> str:
    return (
        f'<rect x="{x}" y="{y}" width="7" height="7"/>'
        f'<rect x="{x + 1}" y="{y + 1}" width="5" height="5" fill="#fff"/>'
        f'<rect x="{x + 2}" y="{y + 2}" width="3" height="3"/>'
    )


def address_error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    """An unknown or malformed address (`infra.error_pages`), in the pay page's frame."""
    words = CATALOG.words_of(request)
    return render(request, "error.html", status, heading=words._(heading), message=message)


def error_page(request: Request, exc: domain.SimulatorError) -> HTMLResponse:
    """A refusal in the buyer's words, by the error's class; never the API's English."""
    words = CATALOG.words_of(request)
    heading = words._(HEADINGS.get(exc.status, SOMETHING_WRONG))
    said = next((text for cls, text in SAID.items() if isinstance(exc, cls)), SOMETHING_WRONG)
    return render(request, "error.html", exc.status, heading=heading, message=words._(said))
