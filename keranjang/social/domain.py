"""Social's rules in plain Python: no web, no database.

Errors::

    SocialError
    ├── NotFound            no such creator, content, pin or catalog product
    ├── Invalid             input that breaks a rule; the message says what to fix
    ├── Conflict            the thing already exists
    ├── NotPermitted        authenticated, but not allowed (no e-commerce permission, not yours)
    ├── Unauthenticated     missing or wrong credentials
    ├── CatalogUnavailable  commerce's public catalog could not be read
    └── FiguresUnavailable  commerce's aggregate figures for creators could not be read

Each error carries a stable `code` (its class's, unless the raise names a finer one) and the
`params` a reader needs; the message is the developer's, for logs. The web layer words the code
per locale (`social.error_words`).
"""

import enum
import re
from dataclasses import dataclass
from datetime import datetime


class SocialError(Exception):
    status = 400
    code = "social_error"

    def __init__(self, message: str, /, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params = params


class NotFound(SocialError):
    status = 404
    code = "not_found"


class Invalid(SocialError):
    status = 422
    code = "invalid"


class Conflict(SocialError):
    status = 409
    code = "conflict"


class NotPermitted(SocialError):
    status = 403
    code = "not_permitted"


class Unauthenticated(SocialError):
    status = 401
    code = "unauthenticated"


class CatalogUnavailable(SocialError):
    status = 503
    code = "catalog_unavailable"


class FiguresUnavailable(SocialError):
    status = 503
    code = "figures_unavailable"


class ContentKind(enum.StrEnum):
    VIDEO = "video"
    LIVE = "live"


class ProductSource(enum.StrEnum):
    """Where a pinned product is sold: commerce's catalog, or a seller still in the legacy
    in-app shop (the old combined app, until the migration moves it)."""

    COMMERCE = "commerce"
    LEGACY = "legacy"


class Route(enum.StrEnum):
    """Which way a legacy seller's yellow carts go: the in-app shop, or commerce once moved."""

    LEGACY = "legacy"
    COMMERCE = "commerce"


class LiveStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


HANDLE = re.compile(r"^[a-z0-9_.]{3,30}$")
MAX_PINS_PER_CONTENT = 20


@dataclass(frozen=True)
class Creator:
    id: int
    handle: str
    display_name: str
    ecommerce_permitted: bool


@dataclass(frozen=True)
class CatalogItem:
    """Public catalog data as commerce publishes it; nothing else about commerce is known here."""

    product_id: int
    merchant_id: int
    merchant_name: str
    title: str
    price_idr: int
    image_url: str
    in_stock: bool


@dataclass(frozen=True)
class Pin:
    """A pinned product. For a legacy product, `product.product_id` is the legacy product's id
    and `product.merchant_id` the legacy seller's."""

    id: int
    content_id: int
    product: CatalogItem
    source: ProductSource = ProductSource.COMMERCE


@dataclass(frozen=True)
class CartDestination:
    """Where a yellow-cart click goes: a signed hand-off to commerce, or the in-app product page
    of a legacy product whose seller still sells in the app."""

    handoff_token: str | None = None
    legacy_product_id: int | None = None


@dataclass(frozen=True)
class LegacyPinTarget:
    """What the yellow cart of a legacy product needs: the pin, its creator and campaign, the
    seller's route, and where the product lives in commerce once the migration mapped it."""

    pin_id: int
    content_id: int
    creator_id: int
    campaign: str | None
    legacy_product_id: int
    route: Route
    commerce_merchant_id: int | None
    commerce_product_id: int | None


@dataclass(frozen=True)
class Content:
    id: int
    creator: Creator
    kind: ContentKind
    title: str
    description: str
    campaign: str | None
    live_status: LiveStatus | None
    created_at: datetime
    pins: tuple[Pin, ...] = ()


def check_handle(handle: str) -> str:
    if not HANDLE.match(handle):
        raise Invalid(
            "handle must be 3 to 30 characters of lower-case letters, digits, '_' or '.'",
            "handle_format",
        )
    return handle


def check_can_pin(creator: Creator, content_creator_id: int, existing_pins: int) -> None:
    """A creator pins only on their own content, only with e-commerce permission, within a limit."""
    if creator.id != content_creator_id:
        raise NotPermitted("you can pin products only on your own content", "not_your_content")
    if not creator.ecommerce_permitted:
        raise NotPermitted(
            "this creator has no e-commerce permission yet; ask the platform to grant it",
            "no_ecommerce_permission",
        )
    if existing_pins >= MAX_PINS_PER_CONTENT:
        raise Invalid(
            f"a piece of content can pin at most {MAX_PINS_PER_CONTENT} products",
            "too_many_pins",
            limit=MAX_PINS_PER_CONTENT,
        )


def initial_live_status(kind: ContentKind) -> LiveStatus | None:
    return LiveStatus.LIVE if kind is ContentKind.LIVE else None


def personalised_order(items: list[Content], affinity: dict[int, int]) -> list[Content]:
    """The feed ordered by how often the viewer watched each creator (most first), newest first
    among equals; with no affinity, the feed as it came (newest first)."""
    ranked = sorted(
        enumerate(items), key=lambda pair: (-affinity.get(pair[1].creator.id, 0), pair[0])
    )
    return [item for _, item in ranked]
