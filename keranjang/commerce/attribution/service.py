"""Attribution's use cases: a yellow-cart hand-off redeemed once, and the aggregate figures a
creator may see. Each public method is one transaction."""

from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang import handoff
from keranjang.commerce.attribution import db as attribution_db
from keranjang.commerce.attribution.domain import (
    Attribution,
    Commission,
    CreatorFigures,
    Landing,
    check_handoff_target,
)
from keranjang.commerce.attribution.evidence import ReceivedTokens, claim_names
from keranjang.commerce.catalog.domain import Product
from keranjang.commerce.errors import HandoffRefused, NotFound
from keranjang.infra.clock import Clock
from keranjang.infra.database import write_connection


class ProductViews(Protocol):
    """Where a landing's product comes from (the catalog's cached product view)."""

    def product_view(self, product_id: int) -> Product: ...


@dataclass(frozen=True)
class Earnings:
    """What the money side knows of a creator: paid orders brought, and commission."""

    orders: int
    commission: Commission


class CreatorEarnings(Protocol):
    """The money side's figures for a creator; money sits above attribution, so bootstrap
    hands them in."""

    def of_creator(self, creator_id: int) -> Earnings: ...


class AttributionService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        keys: handoff.KeyLookup,
        products: ProductViews,
        earnings: CreatorEarnings,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.keys = keys
        self.products = products
        self.earnings = earnings
        self.received = ReceivedTokens()

    def redeem_handoff(self, token: str) -> Landing:
        """Verify a yellow-cart token, record its attribution once, and return the product.
        Every token handed in is sampled for the regulator: the names of its verified claims
        (a refused token's, read from it unverified) and, if refused, the reason."""
        try:
            claims = self._verified(token)
            landing = self._redeem(claims)
        except HandoffRefused as exc:
            self.received.record(self.clock.now(), claim_names(token), exc.reason)
            raise
        self.received.record(self.clock.now(), claims.names(), None)
        return landing

    def _redeem(self, claims: handoff.HandoffClaims) -> Landing:
        try:
            product = self.products.product_view(claims.product)
        except NotFound as exc:
            raise HandoffRefused(
                "unknown_product", f"product {claims.product} is no longer sold here"
            ) from exc
        check_handoff_target(product, claims.merchant)
        with write_connection(self.sessions) as connection:
            try:
                attribution_id = attribution_db.record_attribution(
                    connection, self._attribution(claims)
                )
            except IntegrityError as exc:
                # Products are never deleted, so the one constraint that can fail is the
                # unique token id: this token was redeemed before.
                raise HandoffRefused(
                    "replayed", "this link has already been used; tap the yellow cart again"
                ) from exc
        return Landing(product, attribution_id)

    def _verified(self, token: str) -> handoff.HandoffClaims:
        try:
            return handoff.verify(token, self.keys, now=self.clock.now())
        except handoff.HandoffError as exc:
            raise HandoffRefused(exc.reason, _explain(exc)) from exc

    def _attribution(self, claims: handoff.HandoffClaims) -> Attribution:
        return Attribution(
            jti=claims.jti,
            creator_id=claims.creator,
            content_id=claims.content,
            pin_id=claims.pin,
            product_id=claims.product,
            merchant_id=claims.merchant,
            campaign=claims.campaign,
            at=self.clock.now(),
        )

    def creator_figures(self, creator_id: int) -> CreatorFigures:
        with self.sessions() as s:
            figures = attribution_db.creator_figures(s, creator_id)
        earned = self.earnings.of_creator(creator_id)
        return replace(figures, orders=earned.orders, commission=earned.commission)


def _explain(exc: handoff.HandoffError) -> str:
    if isinstance(exc, handoff.TokenExpired):
        return "this link has expired; go back to the video and tap the yellow cart again"
    if isinstance(exc, handoff.UnknownKey | handoff.BadSignature):
        return "this link was not issued by Keranjang social, or it was altered"
    if isinstance(exc, handoff.WrongAudience):
        return "this link was issued for another shop"
    return f"this link cannot be read: {exc}"
