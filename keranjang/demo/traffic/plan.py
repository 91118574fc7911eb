"""What to do next: a step drawn from a seeded RNG, nothing else. A step names its kind, which
actor of that kind acts (an index, taken modulo how many there are), and a few uniform draws the
actor resolves against what it knows when the step runs (which pin, which order, the new price).
So the sequence of steps depends on the seed alone, never on timing or on the servers' answers:
the same seed, the same plan."""

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class Actor(enum.StrEnum):
    VIEWER = "viewer"
    SELLER = "seller"
    CREATOR = "creator"


class Kind(enum.StrEnum):
    BROWSE = "browse"  # the feed, a yellow cart, the product
    BUY = "buy"  # a yellow cart, the cart, checkout and (mostly) paying at once
    PAY = "pay"  # pay an order left unpaid
    RECEIVED = "received"  # confirm receipt of a delivered order
    PRICE = "price"
    STOCK = "stock"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"
    GO_LIVE = "go_live"  # a live session with a few pins
    PIN = "pin"  # one more pin on a live session
    END_LIVE = "end_live"


ACTOR_OF = {
    Kind.BROWSE: Actor.VIEWER,
    Kind.BUY: Actor.VIEWER,
    Kind.PAY: Actor.VIEWER,
    Kind.RECEIVED: Actor.VIEWER,
    Kind.PRICE: Actor.SELLER,
    Kind.STOCK: Actor.SELLER,
    Kind.SHIP: Actor.SELLER,
    Kind.DELIVER: Actor.SELLER,
    Kind.CANCEL: Actor.SELLER,
    Kind.GO_LIVE: Actor.CREATOR,
    Kind.PIN: Actor.CREATOR,
    Kind.END_LIVE: Actor.CREATOR,
}

# How often each kind comes, out of the sum: mostly viewers, as in the app.
DEFAULT_MIX: dict[Kind, int] = {
    Kind.BROWSE: 22,
    Kind.BUY: 30,
    Kind.PAY: 6,
    Kind.RECEIVED: 4,
    Kind.PRICE: 8,
    Kind.STOCK: 8,
    Kind.SHIP: 8,
    Kind.DELIVER: 5,
    Kind.CANCEL: 3,
    Kind.GO_LIVE: 2,
    Kind.PIN: 3,
    Kind.END_LIVE: 1,
}
PAY_AT_ONCE = 0.8  # the share of purchases paid right after checkout
MAX_UNITS = 3


@dataclass(frozen=True)
class Step:
    op: int  # 1, 2, 3, … in plan order
    kind: Kind
    actor: int  # which actor of the kind's sort, modulo how many there are
    draws: tuple[float, float, float]
    units: int = 1  # for a purchase
    pay_at_once: bool = True

    @property
    def actor_kind(self) -> Actor:
        return ACTOR_OF[self.kind]


class Planner:
    def __init__(self, seed: int, mix: dict[Kind, int] | None = None) -> None:
        self._rng = random.Random(seed)
        chosen = mix or DEFAULT_MIX
        self._kinds = list(chosen)
        self._weights = [chosen[k] for k in self._kinds]
        self._op = 0

    def next(self) -> Step:
        rng = self._rng
        self._op += 1
        kind = rng.choices(self._kinds, self._weights)[0]
        return Step(
            op=self._op,
            kind=kind,
            actor=rng.randrange(1 << 30),
            draws=(rng.random(), rng.random(), rng.random()),
            units=1 + int(rng.random() ** 3 * MAX_UNITS),
            pay_at_once=rng.random() < PAY_AT_ONCE,
        )

    def steps(self, count: int) -> list[Step]:
        return [self.next() for _ in range(count)]


def pick(draw: float, items: Sequence[T]) -> T | None:
    """The item a uniform draw in [0, 1) lands on; None from nothing."""
    if not items:
        return None
    return items[min(int(draw * len(items)), len(items) - 1)]


def new_price(draw: float, price_idr: int) -> int:
    """A price within 10% of the current one, in whole hundreds of rupiah, never the same."""
    price = max(1_000, round(price_idr * (0.9 + 0.2 * draw) / 100) * 100)
    return price + 100 if price == price_idr else price


def new_stock(draw: float) -> int:
    """A restock or a count after a stocktake: 5 to 60 units."""
    return 5 + int(draw * 56)
