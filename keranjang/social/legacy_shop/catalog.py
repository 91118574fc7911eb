"""The legacy shop's public product data as promotion may show it (title, price, image, stock
status): social's app composition hands this to promotion as its `LegacyCatalog`."""

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.social.domain import CatalogItem
from keranjang.social.domain import NotFound as PinNotFound
from keranjang.social.legacy_shop import db

PAGE = 200
NO_IMAGE = "/static/no-image.svg"


class ShopCatalog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def product(self, product_id: int) -> CatalogItem:
        with self.sessions() as s:
            row = s.execute(_QUERY.where(db.ProductRow.id == product_id)).first()
        if row is None:
            raise PinNotFound(
                f"the in-app shop has no product with id {product_id}",
                "no_legacy_product",
                id=product_id,
            )
        return _item(row)

    def page(self, after: int) -> tuple[list[CatalogItem], int | None]:
        with self.sessions() as s:
            rows = s.execute(
                _QUERY.where(db.ProductRow.id > after).order_by(db.ProductRow.id).limit(PAGE)
            ).all()
        items = [_item(row) for row in rows]
        return items, (items[-1].product_id if len(items) == PAGE else None)


_QUERY = select(
    db.ProductRow.id,
    db.ProductRow.seller_id,
    db.SellerRow.name,
    db.ProductRow.title,
    db.ProductRow.price_idr,
    db.ProductRow.image_url,
    db.ProductRow.stock,
).join(db.SellerRow, db.SellerRow.id == db.ProductRow.seller_id)


def _item(row: tuple[int, int, str, str, int, str | None, int]) -> CatalogItem:
    product_id, seller_id, seller, title, price, image, stock = row
    return CatalogItem(product_id, seller_id, seller, title, price, image or NO_IMAGE, stock > 0)
