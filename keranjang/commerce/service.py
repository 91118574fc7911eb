"""Commerce's use cases. Each public method is one transaction."""

import json
import secrets
import threading
from dataclasses import dataclass, replace

from cachetools import TTLCache
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang import handoff
from keranjang.commerce import db, domain
from keranjang.commerce import money_tables as money
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import token_digest
from keranjang.infra.database import read_connection, transaction, write_connection

PRODUCT_VIEW_TTL_SECONDS = 2.0
HANDOFF_STATUS = {"expired": 410, "unknown_key": 401, "bad_signature": 401}


@dataclass(frozen=True)
class NewMerchant:
    slug: str
    name: str
    kind: domain.MerchantKind
    city: str


@dataclass(frozen=True)
class Registered:
    merchant: domain.Merchant
    token: str


@dataclass(frozen=True)
class Incomplete:
    """A kept registration that still lacks `missing` (field names of FOREIGN_REQUIREMENTS)."""

    application_id: int
    missing: list[str]


class CommerceService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, keys: handoff.KeyLookup
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.keys = keys
        # A live session sends thousands of viewers to the same few products at once: product
        # pages may show data a couple of seconds old, checkout never does.
        self._views: TTLCache[int, domain.Product] = TTLCache(
            maxsize=10_000, ttl=PRODUCT_VIEW_TTL_SECONDS
        )
        self._views_lock = threading.Lock()

    # merchants ------------------------------------------------------------------------------
    def register_merchant(
        self, new: NewMerchant, submitted: dict[str, str | None] | None = None
    ) -> "Registered | Incomplete":
        """Register a shop. A foreign merchant's registration is kept as submitted; while any
        Pasal 5 item is missing it stays an application and the missing items are named."""
        domain.check_slug(new.slug)
        if not new.name.strip():
            raise domain.Invalid("name must not be empty")
        with transaction(self.sessions) as s:
            if db.merchant_by_slug(s, new.slug) is not None:
                raise domain.Conflict(f"the shop address {new.slug!r} is taken; choose another")
            if new.kind is domain.MerchantKind.LOCAL:
                return self._open_shop(s, new)
            application = db.MerchantApplicationRow(
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
            application = db.get_or_404(
                s, db.MerchantApplicationRow, application_id, "merchant application"
            )
            if application.merchant_id is not None:
                raise domain.Conflict("this application is complete and its shop is open")
            if db.merchant_by_slug(s, application.slug) is not None:
                raise domain.Conflict(f"the shop address {application.slug!r} is taken")
            kept = json.loads(application.submitted)
            return self._evaluate(s, application, kept | {k: v for k, v in more.items() if v})

    def _evaluate(
        self, s: Session, application: db.MerchantApplicationRow, submitted: dict[str, str | None]
    ) -> "Registered | Incomplete":
        missing = domain.missing_for_foreign(submitted)
        application.submitted = json.dumps(submitted, sort_keys=True)
        application.missing = json.dumps(missing)
        application.updated_at = self.clock.now()
        s.flush()
        if missing:
            return Incomplete(application.id, missing)
        new = NewMerchant(
            application.slug,
            application.name,
            domain.MerchantKind(application.kind),
            application.city,
        )
        registered = self._open_shop(s, new)
        application.merchant_id = registered.merchant.id
        return registered

    def _open_shop(self, s: Session, new: NewMerchant) -> Registered:
        token = secrets.token_urlsafe(32)
        row = db.MerchantRow(
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

    def application(self, application_id: int) -> dict[str, object]:
        with self.sessions() as s:
            row = db.get_or_404(
                s, db.MerchantApplicationRow, application_id, "merchant application"
            )
            return {
                "id": row.id,
                "slug": row.slug,
                "name": row.name,
                "kind": row.kind,
                "submitted": json.loads(row.submitted),
                "missing": json.loads(row.missing),
                "merchant_id": row.merchant_id,
            }

    def authenticate_merchant(self, token: str | None) -> domain.Merchant:
        if not token:
            raise domain.Unauthenticated("send your shop token as 'Authorization: Bearer …'")
        with self.sessions() as s:
            row = db.merchant_by_token_hash(s, token_digest(token))
            if row is None:
                raise domain.Unauthenticated("that shop token is not valid")
            return row.to_domain()

    def merchant_with_token_digest(self, merchant_id: int, digest: str) -> domain.Merchant | None:
        """The merchant, if its current shop token has this digest (a changed token ends what
        was opened with the old one)."""
        with self.sessions() as s:
            row = db.merchant_by_token_hash(s, digest)
            return row.to_domain() if row is not None and row.id == merchant_id else None

    def merchant(self, slug: str) -> domain.Merchant:
        with self.sessions() as s:
            row = db.merchant_by_slug(s, slug)
            if row is None:
                raise domain.NotFound(f"no shop at /shops/{slug}")
            return row.to_domain()

    def merchants(self) -> list[domain.Merchant]:
        with self.sessions() as s:
            return [m.to_domain() for m in db.merchants(s)]

    # catalog --------------------------------------------------------------------------------
    def add_product(self, merchant: domain.Merchant, new: domain.NewProduct) -> domain.Product:
        listing = domain.check_new_product(new)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            row = db.ProductRow(merchant_id=merchant.id, created_at=now, updated_at=now)
            row.set_listing(listing)
            s.add(row)
            s.flush()
            s.refresh(row)
            return row.to_domain()

    def change_product(
        self, merchant: domain.Merchant, product_id: int, change: domain.ProductChange
    ) -> domain.Product:
        """A merchant edits its own product; another shop's product is not found."""
        with transaction(self.sessions) as s:
            row = s.get(db.ProductRow, product_id)
            if row is None or row.merchant_id != merchant.id:
                raise domain.NotFound(f"no product with id {product_id} in your shop")
            row.set_listing(domain.apply_change(row.to_domain(), change))
            row.updated_at = self.clock.now()
            s.flush()
            return row.to_domain()

    def product(self, product_id: int) -> domain.Product:
        with self.sessions() as s:
            return db.get_or_404(s, db.ProductRow, product_id, "product").to_domain()

    def products(
        self, after: int = 0, limit: int = 50, merchant_id: int | None = None
    ) -> list[domain.Product]:
        with self.sessions() as s:
            return [r.to_domain() for r in db.products_page(s, after, limit, merchant_id)]

    # the hand-off ---------------------------------------------------------------------------
    def product_view(self, product_id: int) -> domain.Product:
        """A product as its page shows it (cached for `PRODUCT_VIEW_TTL_SECONDS`)."""
        with self._views_lock:
            cached = self._views.get(product_id)
        if cached is not None:
            return cached
        with read_connection(self.sessions) as connection:
            product = db.product_view(connection, product_id)
        if product is None:
            raise domain.NotFound(f"no product with id {product_id}")
        with self._views_lock:
            self._views[product_id] = product
        return product

    def redeem_handoff(self, token: str) -> domain.Landing:
        """Verify a yellow-cart token, record its attribution once, and return the product."""
        claims = self._verified(token)
        try:
            product = self.product_view(claims.product)
        except domain.NotFound as exc:
            raise domain.HandoffRefused(
                "unknown_product", f"product {claims.product} is no longer sold here", 404
            ) from exc
        domain.check_handoff_target(product, claims.merchant)
        with write_connection(self.sessions) as connection:
            try:
                attribution_id = db.record_attribution(connection, self._attribution(claims))
            except IntegrityError as exc:
                # Products are never deleted, so the one constraint that can fail is the
                # unique token id: this token was redeemed before.
                raise domain.HandoffRefused(
                    "replayed", "this link has already been used; tap the yellow cart again", 410
                ) from exc
        return domain.Landing(product, attribution_id)

    def _verified(self, token: str) -> handoff.HandoffClaims:
        try:
            return handoff.verify(token, self.keys, now=self.clock.now())
        except handoff.HandoffError as exc:
            reason = exc.reason
            raise domain.HandoffRefused(
                reason, _explain(exc), HANDOFF_STATUS.get(reason, 400)
            ) from exc

    def _attribution(self, claims: handoff.HandoffClaims) -> domain.Attribution:
        return domain.Attribution(
            jti=claims.jti,
            creator_id=claims.creator,
            content_id=claims.content,
            pin_id=claims.pin,
            product_id=claims.product,
            merchant_id=claims.merchant,
            campaign=claims.campaign,
            at=self.clock.now(),
        )

    def creator_figures(self, creator_id: int) -> domain.CreatorFigures:
        with self.sessions() as s:
            return replace(
                db.creator_figures(s, creator_id),
                orders=money.attributed_orders(s, creator_id),
                commission=money.creator_commission(s, creator_id),
            )


def _explain(exc: handoff.HandoffError) -> str:
    if isinstance(exc, handoff.TokenExpired):
        return "this link has expired; go back to the video and tap the yellow cart again"
    if isinstance(exc, handoff.UnknownKey | handoff.BadSignature):
        return "this link was not issued by Keranjang social, or it was altered"
    if isinstance(exc, handoff.WrongAudience):
        return "this link was issued for another shop"
    return f"this link cannot be read: {exc}"
