"""Reading a creator's aggregate figures from commerce over HTTP, with social's own service
token. Only sums and counts cross this line; unknown fields are ignored, never stored."""

from datetime import datetime
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from keranjang.social.creators.domain import Commission, CreatorFigures
from keranjang.social.domain import FiguresUnavailable

TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class CountIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    handoffs: int


class CommissionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    pending_idr: int
    payable_idr: int
    paid_out_idr: int


class FiguresIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    creator_id: int
    handoffs: int
    by_content: list[CountIn]
    last_at: datetime | None
    orders: int
    commission: CommissionIn

    def to_domain(self) -> CreatorFigures:
        return CreatorFigures(
            creator_id=self.creator_id,
            handoffs=self.handoffs,
            orders=self.orders,
            commission=Commission(**self.commission.model_dump()),
            handoffs_by_content={c.id: c.handoffs for c in self.by_content},
            last_handoff_at=self.last_at,
        )


class FiguresSource(Protocol):
    def of_creator(self, creator_id: int) -> CreatorFigures: ...


class HttpFigures:
    """Commerce's `/attribution/creators/{id}` over httpx; the client (and its transport) is
    injectable. Every failure is a `FiguresUnavailable` saying what to fix."""

    def __init__(self, base_url: str, token: str | None, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def of_creator(self, creator_id: int) -> CreatorFigures:
        if not self.token:
            raise FiguresUnavailable(
                "Angka kreator belum dapat dibaca: token angka (KERANJANG_SOCIAL_FIGURES_TOKEN) "
                "belum diatur di layanan social.",
                "figures_token_missing",
            )
        response = self._get(f"/attribution/creators/{creator_id}")
        if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            raise FiguresUnavailable(
                f"Toko menolak token angka social ({response.status_code}): samakan "
                "KERANJANG_SOCIAL_FIGURES_TOKEN dengan KERANJANG_COMMERCE_FIGURES_TOKEN.",
                "figures_token_refused",
                status=response.status_code,
            )
        if response.status_code != httpx.codes.OK:
            raise FiguresUnavailable(
                f"Toko menjawab {response.status_code}; coba lagi nanti.",
                "shop_answered",
                status=response.status_code,
            )
        try:
            figures = FiguresIn.model_validate_json(response.content).to_domain()
        except ValidationError as exc:
            raise FiguresUnavailable(
                "Jawaban toko tidak dapat dibaca; coba lagi nanti.", "shop_unreadable"
            ) from exc
        if figures.creator_id != creator_id:
            raise FiguresUnavailable(
                "Toko menjawab angka kreator lain; coba lagi nanti.", "shop_wrong_creator"
            )
        return figures

    def _get(self, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            return self.client.get(self.base_url + path, headers=headers)
        except httpx.HTTPError as exc:
            raise FiguresUnavailable(
                "Toko tidak dapat dihubungi untuk membaca angka Anda; coba lagi nanti.",
                "shop_unreachable",
            ) from exc
