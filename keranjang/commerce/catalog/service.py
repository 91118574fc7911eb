"""The catalog's use cases: merchants (local and foreign, Pasal 5), their products and the
public product view. Each public method is one transaction."""

import json
import secrets
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.catalog import search as catalog_search
from keranjang.commerce.catalog.domain import (
    Application,
    Merchant,
    MerchantKind,
    NewProduct,
    Product,
    ProductChange,
    apply_change,
    check_new_product,
    check_slug,
    missing_for_foreign,
)
from keranjang.commerce.errors import Conflict, Invalid, NotFound, Unauthenticated
from keranjang.commerce.tables import get_or_404
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import token_digest
from keranjang.infra.database import read_connection, transaction

PRODUCT_VIEW_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class Results:
    """A page of products as a shopper browses them, and how many there are in all."""

    products: list[Product]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class NewMerchant:
    slug: str
    name: str
    kind: MerchantKind
    city: str


@dataclass(frozen=True)
class Registered:
    merchant: Merchant
    token: str


@dataclass(frozen=True)
class Incomplete:
    """A kept registration that still lacks `missing` (field names of FOREIGN_REQUIREMENTS)."""

    application_id: int
    missing: list[str]


class CatalogService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        # A live session sends thousands of viewers to the same few products at once: product
        # pages may show data a couple of seconds old, checkout never does.
        self._views: TTLCache[int, Product] = TTLCache(maxsize=10_000, ttl=PRODUCT_VIEW_TTL_SECONDS)
        self._views_lock = threading.Lock()

    # merchants ------------------------------------------------------------------------------
    def register_merchant(
        self, new: NewMerchant, submitted: dict[str, str | None] | None = None
    ) -> "Registered | Incomplete":
        """Register a shop. A foreign merchant's registration is kept as submitted; while any
        Pasal 5 item is missing it stays an application and the missing items are named."""
        check_slug(new.slug)
        if not new.name.strip():
            raise Invalid("name must not be empty", code="required", params={"field": "name"})
        with transaction(self.sessions) as s:
            if catalog_db.merchant_by_slug(s, new.slug) is not None:
                raise Conflict(
                    f"the shop address {new.slug!r} is taken; choose another",
                    code="slug_taken",
                    params={"slug": new.slug},
                )
            if new.kind is MerchantKind.LOCAL:
                return self._open_shop(s, new)
            application = catalog_db.MerchantApplicationRow(
                slug=new.slug,
                name=new.name.strip(),
                kind=new.kind.value,
                city=new.city.strip(),
                submitted="{}",
                missing="[]",
                created_at=self.clock.now(),
            )
            s.add(application)
            return self._evaluate(s, application, submitted or {})

    def complete_application(
        self, application_id: int, more: dict[str, str | None]
    ) -> "Registered | Incomplete":
        """Add to a kept foreign registration; the shop opens once nothing is missing."""
        with transaction(self.sessions) as s:
            application = get_or_404(
                s, catalog_db.MerchantApplicationRow, application_id, "merchant application"
            )
            if application.merchant_id is not None:
                raise Conflict(
                    "this application is complete and its shop is open", code="application_done"
                )
            if catalog_db.merchant_by_slug(s, application.slug) is not None:
                raise Conflict(
                    f"the shop address {application.slug!r} is taken",
                    code="slug_taken",
                    params={"slug": application.slug},
                )
            kept = json.loads(application.submitted)
            return self._evaluate(s, application, kept | {k: v for k, v in more.items() if v})

    def _evaluate(
        self,
        s: Session,
        application: catalog_db.MerchantApplicationRow,
        submitted: dict[str, str | None],
    ) -> "Registered | Incomplete":
        missing = missing_for_foreign(submitted)
        application.submitted = json.dumps(submitted, sort_keys=True)
        application.missing = json.dumps(missing)
        application.updated_at = self.clock.now()
        s.flush()
        if missing:
            return Incomplete(application.id, missing)
        new = NewMerchant(
            application.slug,
            application.name,
            MerchantKind(application.kind),
            application.city,
        )
        registered = self._open_shop(s, new)
        application.merchant_id = registered.merchant.id
        return registered

    def _open_shop(self, s: Session, new: NewMerchant) -> Registered:
        token = secrets.token_urlsafe(32)
        row = catalog_db.MerchantRow(
            slug=new.slug,
            name=new.name.strip(),
            kind=new.kind.value,
            city=new.city.strip(),
            token_hash=token_digest(token),
            created_at=self.clock.now(),
        )
        s.add(row)
        s.flush()
        return Registered(row.to_domain(), token)

    def application(self, application_id: int) -> Application:
        with self.sessions() as s:
            row = get_or_404(
                s, catalog_db.MerchantApplicationRow, application_id, "merchant application"
            )
            return Application(
                id=row.id,
                slug=row.slug,
                name=row.name,
                kind=row.kind,
                submitted=json.loads(row.submitted),
                missing=json.loads(row.missing),
                merchant_id=row.merchant_id,
            )

    def authenticate_merchant(self, token: str | None) -> Merchant:
        if not token:
            raise Unauthenticated(
                "send your shop token as 'Authorization: Bearer …'", code="shop_token_missing"
            )
        with self.sessions() as s:
            row = catalog_db.merchant_by_token_hash(s, token_digest(token))
            if row is None:
                raise Unauthenticated("that shop token is not valid", code="shop_token_wrong")
            return row.to_domain()

    def merchant_with_token_digest(self, merchant_id: int, digest: str) -> Merchant | None:
        """The merchant, if its current shop token has this digest (a changed token ends what
        was opened with the old one)."""
        with self.sessions() as s:
            row = catalog_db.merchant_by_token_hash(s, digest)
            return row.to_domain() if row is not None and row.id == merchant_id else None

    def merchant(self, slug: str) -> Merchant:
        with self.sessions() as s:
            row = catalog_db.merchant_by_slug(s, slug)
            if row is None:
                raise NotFound(f"no shop at /shops/{slug}", code="no_shop", params={"slug": slug})
            return row.to_domain()

    def merchants(self) -> list[Merchant]:
        with self.sessions() as s:
            return [m.to_domain() for m in catalog_db.merchants(s)]

    # catalog --------------------------------------------------------------------------------
    def add_product(self, merchant: Merchant, new: NewProduct) -> Product:
        listing = check_new_product(new)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = catalog_db.ProductRow(merchant_id=merchant.id, created_at=now, updated_at=now)
            row.set_listing(listing)
            s.add(row)
            s.flush()
            s.refresh(row)
            return row.to_domain()

    def change_product(self, merchant: Merchant, product_id: int, change: ProductChange) -> Product:
        """A merchant edits its own product; another shop's product is not found."""
        with transaction(self.sessions) as s:
            row = s.get(catalog_db.ProductRow, product_id)
            if row is None or row.merchant_id != merchant.id:
                raise NotFound(
                    f"no product with id {product_id} in your shop",
                    code="not_your_product",
                    params={"id": product_id},
                )
            row.set_listing(apply_change(row.to_domain(), change))
            row.updated_at = self.clock.now()
            s.flush()
            return row.to_domain()

    def product(self, product_id: int) -> Product:
        with self.sessions() as s:
            return get_or_404(s, catalog_db.ProductRow, product_id, "product").to_domain()

    def products(
        self, after: int = 0, limit: int = 50, merchant_id: int | None = None, on_sale: bool = True
    ) -> list[Product]:
        """Products in id order; `on_sale` (the public's view): only those of shops selling
        now, so a shop moving from the app shows nothing before its cutover."""
        with self.sessions() as s:
            page = catalog_db.products_page(s, after, limit, merchant_id, on_sale=on_sale)
            return [r.to_domain() for r in page]

    def product_on_sale(self, product_id: int) -> Product:
        """The product, as the public catalog shows it: not found while its shop is not
        selling here."""
        product = self.product(product_id)
        if not product.merchant.selling:
            raise NotFound(
                f"product {product_id} is not on sale now: its shop is moving",
                code="product_moving",
                params={"id": product_id},
            )
        return product

    def browse(self, asked: catalog_search.Browse) -> Results:
        """Search and browse: words, a category, an order, a page (`catalog.search`)."""
        with self.sessions() as s:
            found = catalog_search.search(s, asked)
            products = [r.to_domain() for r in found.rows]
        return Results(products, found.total, asked.page, asked.per_page)

    def categories(self) -> list[str]:
        with self.sessions() as s:
            return catalog_search.categories(s)

    # product pages ---------------------------------------------------------------------------
    def product_view(self, product_id: int) -> Product:
        """A product as its page shows it (cached for `PRODUCT_VIEW_TTL_SECONDS`)."""
        with self._views_lock:
            cached = self._views.get(product_id)
        if cached is not None:
            return cached
        with read_connection(self.sessions) as connection:
            product = catalog_db.product_view(connection, product_id)
        if product is None:
            raise NotFound(
                f"no product with id {product_id}", code="no_product", params={"id": product_id}
            )
        if product.merchant.selling:  # a shop not selling now may be on sale the next moment
            with self._views_lock:
                self._views[product_id] = product
        return product
