"""Social's use cases. Each public method is one transaction."""

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang import handoff
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import hash_password, token_digest
from keranjang.infra.database import read_connection, transaction
from keranjang.social import db, domain
from keranjang.social.catalog import CatalogSource, LegacyCatalog
from keranjang.social.creators import db as creators_db
from keranjang.social.creators.domain import check_password
from keranjang.social.issued_claims import IssuedClaims


@dataclass(frozen=True)
class NewContent:
    kind: domain.ContentKind
    title: str
    description: str = ""
    campaign: str | None = None


@dataclass(frozen=True)
class Registered:
    creator: domain.Creator
    token: str


class SocialService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        catalog: CatalogSource,
        signing_key: handoff.SigningKey,
        handoff_ttl_seconds: int = 120,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.catalog = catalog
        # The legacy in-app shop's public product data, set by the app's composition while the
        # shop is open; None while it is switched off.
        self.legacy_catalog: LegacyCatalog | None = None
        self.signing_key = signing_key
        # Public keys still published: the current one and those retired while tokens they
        # signed may still be in flight.
        self.published_keys = [signing_key]
        self.handoff_ttl_seconds = handoff_ttl_seconds
        # The claim names of recent tokens, for the regulator's evidence (never their values).
        self.issued_claims = IssuedClaims()

    # creators -----------------------------------------------------------------------------
    def register_creator(
        self, handle: str, display_name: str, password: str | None = None
    ) -> Registered:
        """A new creator and their API token; with a password, they can also sign in to their
        own pages (hashed before the transaction: hashing is slow on purpose)."""
        domain.check_handle(handle)
        if not display_name.strip():
            raise domain.Invalid("display_name must not be empty", "display_name_empty")
        password_hash = None if password is None else hash_password(check_password(password))
        token = secrets.token_urlsafe(32)
        with transaction(self.sessions) as s:
            if db.handle_taken(s, handle):
                raise domain.Conflict(
                    f"the handle {handle!r} is taken; choose another", "handle_taken", handle=handle
                )
            row = db.CreatorRow(
                handle=handle,
                display_name=display_name.strip(),
                ecommerce_permitted=False,
                token_hash=token_digest(token),
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            if password_hash is not None:
                creators_db.set_password(s, row.id, password_hash, self.clock.now())
            return Registered(row.to_domain(), token)

    def authenticate(self, token: str | None) -> domain.Creator:
        if not token:
            raise domain.Unauthenticated(
                "send your creator token as 'Authorization: Bearer …'", "creator_token_missing"
            )
        with self.sessions() as s:
            row = db.creator_by_token_hash(s, token_digest(token))
            if row is None:
                raise domain.Unauthenticated(
                    "that creator token is not valid", "creator_token_wrong"
                )
            return row.to_domain()

    def set_ecommerce_permission(self, creator_id: int, permitted: bool) -> domain.Creator:
        with transaction(self.sessions) as s:
            row = db.get_or_404(s, db.CreatorRow, creator_id, "creator")
            row.ecommerce_permitted = permitted
            return row.to_domain()

    # content ------------------------------------------------------------------------------
    def publish(self, creator: domain.Creator, new: NewContent) -> domain.Content:
        title = new.title.strip()
        if not 1 <= len(title) <= 120:
            raise domain.Invalid(
                "title must be 1 to 120 characters", "title_length", low=1, high=120
            )
        with transaction(self.sessions) as s:
            row = db.ContentRow(
                creator_id=creator.id,
                kind=new.kind.value,
                title=title,
                description=new.description.strip(),
                campaign=new.campaign,
                live_status=domain.initial_live_status(new.kind),
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            s.refresh(row)
            return db.content_to_domain(row)

    def end_live(self, creator: domain.Creator, content_id: int) -> domain.Content:
        with transaction(self.sessions) as s:
            row = db.get_or_404(s, db.ContentRow, content_id, "content")
            if row.creator_id != creator.id:
                raise domain.NotPermitted("you can end only your own live session", "not_your_live")
            if row.kind != domain.ContentKind.LIVE:
                raise domain.Invalid("only a live session can be ended", "only_live_ends")
            row.live_status = domain.LiveStatus.ENDED.value
            return db.content_to_domain(row)

    def content(self, content_id: int) -> domain.Content:
        with self.sessions() as s:
            return db.content_to_domain(db.get_or_404(s, db.ContentRow, content_id, "content"))

    def feed(self, limit: int = 50, kind: domain.ContentKind | None = None) -> list[domain.Content]:
        with self.sessions() as s:
            return [db.content_to_domain(r) for r in db.feed(s, limit, kind)]

    # pins -----------------------------------------------------------------------------------
    def pin(self, creator: domain.Creator, content_id: int, product_id: int) -> domain.Pin:
        # Read the catalog before the transaction: no network call while holding a write lock.
        item = self.catalog.product(product_id)
        with transaction(self.sessions) as s:
            content = db.get_or_404(s, db.ContentRow, content_id, "content")
            domain.check_can_pin(creator, content.creator_id, db.pin_count(s, content_id))
            cached = s.get(db.CatalogCacheRow, product_id) or db.CatalogCacheRow(
                product_id=product_id
            )
            cached.refresh(item, self.clock.now())
            s.add(cached)
            row = db.PinRow(
                content_id=content_id, product_id=product_id, created_at=self.clock.now()
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError as exc:
                raise domain.Conflict(
                    f"product {product_id} is already pinned here", "already_pinned", id=product_id
                ) from exc
            return row.to_domain()

    def pin_legacy(self, creator: domain.Creator, content_id: int, product_id: int) -> domain.Pin:
        """Pin a product of the legacy in-app shop (its public data only)."""
        if self.legacy_catalog is None:
            raise domain.NotFound(
                "the in-app shop is closed: pin products from commerce", "shop_closed"
            )
        item = self.legacy_catalog.product(product_id)
        with transaction(self.sessions) as s:
            content = db.get_or_404(s, db.ContentRow, content_id, "content")
            domain.check_can_pin(creator, content.creator_id, db.pin_count(s, content_id))
            cached = s.get(db.LegacyCatalogCacheRow, product_id) or db.LegacyCatalogCacheRow(
                legacy_product_id=product_id
            )
            cached.refresh(item, self.clock.now())
            s.add(cached)
            row = db.PinRow(
                content_id=content_id, legacy_product_id=product_id, created_at=self.clock.now()
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError as exc:
                raise domain.Conflict(
                    f"legacy product {product_id} is already pinned here",
                    "already_pinned",
                    id=product_id,
                ) from exc
            return row.to_domain()

    def refresh_catalog(self) -> int:
        """Bring the cached catalog data of pinned products up to date from commerce's feed
        (prices, titles, stock status change there), and from the legacy shop while it is open.
        Returns how many rows changed."""
        changed = self._refresh(self.catalog, db.CatalogCacheRow)
        if self.legacy_catalog is not None:
            changed += self._refresh(self.legacy_catalog, db.LegacyCatalogCacheRow)
        return changed

    def _refresh(
        self,
        source: CatalogSource | LegacyCatalog,
        model: type[db.CatalogCacheRow] | type[db.LegacyCatalogCacheRow],
    ) -> int:
        changed, after = 0, 0
        while True:
            items, next_after = source.page(after)
            with transaction(self.sessions) as s:
                changed += db.refresh_cached(s, items, self.clock.now(), model)
            if next_after is None:
                return changed
            after = next_after

    # the yellow cart ------------------------------------------------------------------------
    def handoff_token(self, pin_id: int) -> str:
        """Sign a hand-off for a yellow-cart click. Carries nothing about the viewer."""
        destination = self.cart_destination(pin_id)
        if destination.handoff_token is None:
            raise domain.NotFound(
                f"pin {pin_id} opens the in-app shop, not commerce", "pin_in_app", id=pin_id
            )
        return destination.handoff_token

    def cart_destination(self, pin_id: int) -> domain.CartDestination:
        """Where a yellow-cart click goes. A commerce product: a signed hand-off. A legacy
        product: the in-app shop while its seller's route is `legacy`; once the migration has
        flipped it to `commerce`, a hand-off to the commerce product it was mapped to. The
        routing table is read on every click, so a flip is seen by the next one."""
        with read_connection(self.sessions) as connection:
            target = db.pin_target(connection, pin_id)
            legacy = None if target is not None else db.legacy_pin_target(connection, pin_id)
        if target is None and legacy is not None:
            if legacy.route is domain.Route.LEGACY:
                return domain.CartDestination(legacy_product_id=legacy.legacy_product_id)
            target = _moved_target(legacy)
        if target is None:
            raise domain.NotFound(f"no pinned product with id {pin_id}", "no_pin", id=pin_id)
        claims = handoff.new_claims(
            target, now=self.clock.now(), ttl_seconds=self.handoff_ttl_seconds
        )
        token = handoff.sign(claims, self.signing_key)
        self.issued_claims.record(self.clock.now(), claims.names())
        return domain.CartDestination(handoff_token=token)

    def rotate_signing_key(self, new_key: handoff.SigningKey) -> None:
        """Sign with `new_key` from now on; keep publishing the old key for tokens in flight."""
        self.published_keys = [new_key, self.signing_key]
        self.signing_key = new_key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.public_jwk() for k in self.published_keys]}


def _moved_target(legacy: domain.LegacyPinTarget) -> handoff.HandoffTarget:
    """The commerce product a legacy pin leads to once its seller has moved."""
    if legacy.commerce_product_id is None or legacy.commerce_merchant_id is None:
        raise domain.CatalogUnavailable(
            f"legacy product {legacy.legacy_product_id} is moving to commerce and not there "
            "yet; try again shortly",
            "product_moving",
        )
    return handoff.HandoffTarget(
        legacy.pin_id,
        legacy.content_id,
        legacy.commerce_product_id,
        legacy.commerce_merchant_id,
        legacy.creator_id,
        legacy.campaign,
    )
