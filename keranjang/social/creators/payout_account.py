"""A creator's payout account, kept by commerce: social forwards what the signed-in creator types
(bank code, account number, holder name) to commerce's creator endpoint over HTTP with its own
figures token, and shows what commerce answers. Social stores no bank data."""

from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from keranjang.social.creators.figures import HttpFigures
from keranjang.social.domain import FiguresUnavailable, Invalid

FIELDS = ("bank_code", "account_number", "holder_name")
REFUSED = "Rekening belum dapat disimpan: "


class BankIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    bank_code: str
    account_number: str
    holder_name: str
    updated_at: datetime


class LatestPayoutIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    amount_idr: int
    made_at: datetime
    status: str
    failure: str


class CreatorPayoutIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    creator_id: int
    account: BankIn | None
    latest_payout: LatestPayoutIn | None


@dataclass(frozen=True)
class PayoutAccounts:
    """Commerce's `/attribution/creators/{id}/payout-account`, through the figures client."""

    commerce: HttpFigures

    def of_creator(self, creator_id: int) -> CreatorPayoutIn:
        return self._answer(creator_id, "GET", None)

    def set(self, creator_id: int, form: dict[str, str]) -> CreatorPayoutIn:
        """Forward the typed account; `Invalid` (in Indonesian, with commerce's reason) when the
        bank or commerce refuses it."""
        body = {name: form.get(name, "").strip()[:120] for name in FIELDS}
        return self._answer(creator_id, "PUT", body)

    def _answer(self, creator_id: int, method: str, body: dict[str, str] | None) -> CreatorPayoutIn:
        c = self.commerce
        if not c.token:
            raise FiguresUnavailable(
                "Rekening belum dapat dibaca: token angka (KERANJANG_SOCIAL_FIGURES_TOKEN) "
                "belum diatur di layanan social.",
                "payout_token_missing",
            )
        url = f"{c.base_url}/attribution/creators/{creator_id}/payout-account"
        try:
            r = c.client.request(
                method, url, json=body, headers={"Authorization": f"Bearer {c.token}"}
            )
        except httpx.HTTPError as exc:
            raise FiguresUnavailable(
                "Toko tidak dapat dihubungi; coba lagi nanti.", "shop_unreachable"
            ) from exc
        if r.status_code == httpx.codes.UNPROCESSABLE_ENTITY:
            raise Invalid(REFUSED + _reason(r), "payout_account_refused", reason=_reason(r))
        if r.status_code != httpx.codes.OK:
            raise FiguresUnavailable(
                f"Toko menjawab {r.status_code}; coba lagi nanti.",
                "shop_answered",
                status=r.status_code,
            )
        try:
            answer = CreatorPayoutIn.model_validate_json(r.content)
        except ValidationError as exc:
            raise FiguresUnavailable(
                "Jawaban toko tidak dapat dibaca; coba lagi nanti.", "shop_unreadable"
            ) from exc
        if answer.creator_id != creator_id:
            raise FiguresUnavailable(
                "Toko menjawab rekening kreator lain; coba lagi nanti.", "shop_wrong_creator"
            )
        return answer


def _reason(r: httpx.Response) -> str:
    """Commerce's reason (its `detail`, a sentence or a list of field errors), kept short."""
    try:
        detail = r.json().get("detail", "")
    except ValueError:
        return "periksa kode bank, nomor rekening, dan nama pemilik."
    if isinstance(detail, list):
        detail = "; ".join(str(d.get("msg", "")) for d in detail if isinstance(d, dict))
    return str(detail)[:300] or "periksa kode bank, nomor rekening, dan nama pemilik."
