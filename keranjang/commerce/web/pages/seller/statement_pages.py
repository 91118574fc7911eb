"""The seller center's statement page: what the shop is owed (held while orders can still be
refunded, and payable next), what has been paid out, and every movement over a period."""

from datetime import date

from fastapi import Request
from fastapi.responses import HTMLResponse

from keranjang.commerce.errors import Invalid
from keranjang.commerce.money.payouts import PayoutService
from keranjang.commerce.web.deps import commerce_of
from keranjang.commerce.web.pages.seller.session import Seller, render, seller_router

router = seller_router()
KIND_LABELS = {
    "completion": "Pesanan selesai",
    "refund": "Pengembalian dana",
    "release": "Masa pengembalian berakhir",
    "payout": "Pencairan dana",
    "payout_failed": "Pencairan gagal, dana kembali",
}
ACCOUNT_LABELS = {"pending": "Tertahan", "payable": "Siap dicairkan"}


@router.get("/statement", response_class=HTMLResponse)
def statement(request: Request, merchant: Seller) -> HTMLResponse:
    since, until = _day(request, "since"), _day(request, "until")
    svc: PayoutService = commerce_of(request).payouts
    return render(
        request,
        "seller_statement.html",
        statement=svc.statement(merchant.id, since, until),
        kinds=KIND_LABELS,
        accounts=ACCOUNT_LABELS,
    )


def _day(request: Request, name: str) -> date | None:
    typed = request.query_params.get(name, "").strip()
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise Invalid(
            f"unknown date {typed!r}: write it as YYYY-MM-DD",
            code="bad_date",
            params={"typed": typed},
        ) from None
