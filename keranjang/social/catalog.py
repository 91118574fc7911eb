"""Reading commerce's public catalog feed over HTTP. Only public fields cross this line."""

from typing import Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from keranjang.social.domain import CatalogItem, CatalogUnavailable, NotFound

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
Model = TypeVar("Model", bound=BaseModel)


class CatalogEntry(BaseModel):
    """One product in commerce's public feed; unknown fields are ignored, never stored."""

    model_config = ConfigDict(extra="ignore")

    id: int
    merchant_id: int
    merchant_name: str
    title: str
    price_idr: int
    image_url: str
    stock_status: Literal["in_stock", "out_of_stock"]

    def to_domain(self) -> CatalogItem:
        return CatalogItem(
            product_id=self.id,
            merchant_id=self.merchant_id,
            merchant_name=self.merchant_name,
            title=self.title,
            price_idr=self.price_idr,
            image_url=self.image_url,
            in_stock=self.stock_status == "in_stock",
        )


class CatalogPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[CatalogEntry]
    next_after: int | None


class CatalogSource(Protocol):
    def product(self, product_id: int) -> CatalogItem: ...

    def page(self, after: int) -> tuple[list[CatalogItem], int | None]: ...


class LegacyCatalog(Protocol):
    """The public data of the legacy in-app shop's products (title, price, image, stock
    status) as promotion may show it: `product_id` is the legacy product's id, `merchant_id` the
    legacy seller's. Social's app composition fills it from the legacy shop; promotion never
    imports the shop."""

    def product(self, product_id: int) -> CatalogItem: ...

    def page(self, after: int) -> tuple[list[CatalogItem], int | None]: ...


class HttpCatalog:
    """Commerce's catalog feed over httpx; the client (and its transport) is injectable."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def product(self, product_id: int) -> CatalogItem:
        response = self._get(f"/catalog/products/{product_id}")
        if response.status_code == httpx.codes.NOT_FOUND:
            raise NotFound(
                f"commerce's catalog has no product with id {product_id}",
                "no_catalog_product",
                id=product_id,
            )
        return self._parse(CatalogEntry, response).to_domain()

    def page(self, after: int) -> tuple[list[CatalogItem], int | None]:
        """One page of the feed in id order, and where the next starts (None at the end)."""
        page = self._parse(CatalogPage, self._get(f"/catalog/products?after={after}&limit=200"))
        return [entry.to_domain() for entry in page.items], page.next_after

    def _get(self, path: str) -> httpx.Response:
        try:
            return self.client.get(self.base_url + path)
        except httpx.HTTPError as exc:
            raise CatalogUnavailable(f"commerce's catalog could not be reached: {exc}") from exc

    def _parse(self, model: type[Model], response: httpx.Response) -> Model:
        if response.status_code != httpx.codes.OK:
            raise CatalogUnavailable(f"commerce's catalog answered {response.status_code}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise CatalogUnavailable(f"commerce's catalog sent an unreadable entry: {exc}") from exc
