"""Social's use cases. Each public method is one transaction."""

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang import handoff
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import token_digest
from keranjang.infra.database import read_connection, transaction
from keranjang.social import db, domain
from keranjang.social.catalog import CatalogSource


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
        self.signing_key = signing_key
        # Public keys still published: the current one and those retired while tokens they
        # signed may still be in flight.
        self.published_keys = [signing_key]
        self.handoff_ttl_seconds = handoff_ttl_seconds

    # creators -----------------------------------------------------------------------------
    def register_creator(self, handle: str, display_name: str) -> Registered:
        domain.check_handle(handle)
        if not display_name.strip():
            raise domain.Invalid("display_name must not be empty")
        token = secrets.token_urlsafe(32)
        with transaction(self.sessions) as s:
            if db.handle_taken(s, handle):
                raise domain.Conflict(f"the handle {handle!r} is taken; choose another")
            row = db.CreatorRow(
                handle=handle,
                display_name=display_name.strip(),
                ecommerce_permitted=False,
                token_hash=token_digest(token),
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            return Registered(row.to_domain(), token)

    def authenticate(self, token: str | None) -> domain.Creator:
        if not token:
            raise domain.Unauthenticated("send your creator token as 'Authorization: Bearer …'")
        with self.sessions() as s:
            row = db.creator_by_token_hash(s, token_digest(token))
            if row is None:
                raise domain.Unauthenticated("that creator token is not valid")
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
            raise domain.Invalid("title must be 1 to 120 characters")
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
                raise domain.NotPermitted("you can end only your own live session")
            if row.kind != domain.ContentKind.LIVE:
                raise domain.Invalid("only a live session can be ended")
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
                raise domain.Conflict(f"product {product_id} is already pinned here") from exc
            return row.to_domain()

    def refresh_catalog(self) -> int:
        """Bring the cached catalog data of pinned products up to date from commerce's feed
        (prices, titles, stock status change there). Returns how many rows changed."""
        changed, after = 0, 0
        while True:
            items, next_after = self.catalog.page(after)
            with transaction(self.sessions) as s:
                changed += db.refresh_cached(s, items, self.clock.now())
            if next_after is None:
                return changed
            after = next_after

    # the yellow cart ------------------------------------------------------------------------
    def handoff_token(self, pin_id: int) -> str:
        """Sign a hand-off for a yellow-cart click. Carries nothing about the viewer."""
        with read_connection(self.sessions) as connection:
            target = db.pin_target(connection, pin_id)
        if target is None:
            raise domain.NotFound(f"no pinned product with id {pin_id}")
        claims = handoff.new_claims(
            target, now=self.clock.now(), ttl_seconds=self.handoff_ttl_seconds
        )
        return handoff.sign(claims, self.signing_key)

    def rotate_signing_key(self, new_key: handoff.SigningKey) -> None:
        """Sign with `new_key` from now on; keep publishing the old key for tokens in flight."""
        self.published_keys = [new_key, self.signing_key]
        self.signing_key = new_key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.public_jwk() for k in self.published_keys]}
