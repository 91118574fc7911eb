"""What the driver has learnt so far, as a client learns it: its own accounts' tokens, the pins
it has seen, each seller's products, and where each merchant's yellow carts lead. Everything here
comes from answers to requests; nothing is read from a database."""

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum


class Route(StrEnum):
    LEGACY = "legacy"  # buyers buy in the app; the seller works in the app's seller tools
    COMMERCE = "commerce"  # the yellow cart hands off to commerce


@dataclass
class Pin:
    id: int
    legacy_product_id: int
    merchant: int  # the legacy seller's id


@dataclass
class Product:
    id: int
    seller_id: int
    price_idr: int
    stock: int


@dataclass
class Seller:
    """A legacy seller the driver can act for (its seller token). `stopped` says why its seller
    actions stopped (it moved to commerce, whose shop token the driver never holds)."""

    id: int
    token: str
    products: list[Product] = field(default_factory=list)
    stopped: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Unpaid:
    """An order the driver placed and has not paid yet."""

    side: Route
    order_id: int
    merchant: int


@dataclass
class Viewer:
    """The driver's own viewer in social, and (once a merchant it buys from has moved) its own
    buyer account in commerce: commerce accounts are the driver's, never linked to the viewer."""

    index: int
    email: str
    password: str
    token: str = ""
    commerce_token: str | None = None
    address: dict[str, str] = field(default_factory=dict)
    unpaid: list[Unpaid] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Creator:
    id: int
    token: str
    permitted: bool
    live: list[int] = field(default_factory=list)  # content ids of live sessions not yet ended
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Knowledge:
    viewers: list[Viewer] = field(default_factory=list)
    sellers: list[Seller] = field(default_factory=list)
    creators: list[Creator] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)
    routes: dict[int, Route] = field(default_factory=dict)  # legacy seller id → route last seen

    def route(self, merchant: int) -> Route:
        return self.routes.get(merchant, Route.LEGACY)

    def seller(self, seller_id: int) -> Seller | None:
        return next((s for s in self.sellers if s.id == seller_id), None)

    def add_pin(self, pin: Pin) -> None:
        if all(p.id != pin.id for p in self.pins):
            self.pins.append(pin)

    def products(self) -> list[Product]:
        return [p for s in self.sellers for p in s.products]
