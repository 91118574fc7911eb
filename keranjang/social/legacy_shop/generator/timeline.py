"""An order's life, as the legacy shop's use cases would have lived it: the steps from checkout
to the state it stands in now, each with its moment, its actor and its reason. Pure.

The life is drawn backwards from its last step: an order still in flight ended its last step a
little while ago (an unpaid one is inside its 30-minute hold, a delivered one inside the three
days before it completes by itself); a finished one any time in the history."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from keranjang.social.legacy_shop.domain import OrderStatus
from keranjang.social.legacy_shop.generator import names
from keranjang.social.legacy_shop.generator.shops import HISTORY_DAYS

S = OrderStatus
HOLD = timedelta(minutes=30)
MINUTE, HOUR, DAY = 60, 3_600, 86_400
# Step: (the state it leads to, shortest and longest time after the step before, in seconds).
STEPS: dict[str, tuple[OrderStatus, int, int]] = {
    "pay": (S.PAID, MINUTE, 25 * MINUTE),
    "ship": (S.SHIPPED, 2 * HOUR, 40 * HOUR),
    "deliver": (S.DELIVERED, DAY, 4 * DAY),
    "confirm": (S.COMPLETED, HOUR, 3 * DAY - HOUR),
    "auto": (S.COMPLETED, 3 * DAY, 3 * DAY + MINUTE),
    "cancel": (S.CANCELLED, 5 * MINUTE, 25 * MINUTE),
    "cancel_paid": (S.CANCELLED, HOUR, 30 * HOUR),
    "expire": (S.EXPIRED, 30 * MINUTE, 31 * MINUTE),
    "refund": (S.REFUNDED, DAY, 10 * DAY),
}
PATHS: dict[OrderStatus, tuple[tuple[str, ...], ...]] = {
    S.AWAITING_PAYMENT: ((),),
    S.PAID: (("pay",),),
    S.SHIPPED: (("pay", "ship"),),
    S.DELIVERED: (("pay", "ship", "deliver"),),
    S.COMPLETED: (("pay", "ship", "deliver", "confirm"), ("pay", "ship", "deliver", "auto")),
    S.CANCELLED: (("cancel",), ("pay", "cancel_paid")),
    S.EXPIRED: (("expire",),),
    S.REFUNDED: (
        ("pay", "ship", "refund"),
        ("pay", "ship", "deliver", "refund"),
        ("pay", "ship", "deliver", "confirm", "refund"),
    ),
}
# How long ago an order in flight took its last step (seconds, shortest and longest).
IN_FLIGHT_AGO = {
    S.AWAITING_PAYMENT: (5, 28 * MINUTE),
    S.PAID: (MINUTE, 40 * HOUR),
    S.SHIPPED: (HOUR, 4 * DAY),
    S.DELIVERED: (10 * MINUTE, 3 * DAY - HOUR),
}
FINISHED_AGO = (HOUR, HISTORY_DAYS * DAY)


@dataclass(frozen=True)
class Step:
    name: str
    target: OrderStatus
    at: datetime


@dataclass(frozen=True)
class Life:
    status: OrderStatus
    placed: datetime
    steps: tuple[Step, ...]

    @property
    def hold_expires_at(self) -> datetime:
        return self.placed + HOLD

    @property
    def last(self) -> datetime:
        return self.steps[-1].at if self.steps else self.placed

    def at(self, name: str) -> datetime | None:
        return next((s.at for s in self.steps if s.name == name), None)

    @property
    def paid(self) -> bool:
        return any(s.name == "pay" for s in self.steps)


def life(rng: random.Random, status: OrderStatus, now: datetime) -> Life:
    path = rng.choice(PATHS[status])
    gaps = [rng.randint(STEPS[name][1], STEPS[name][2]) for name in path]
    shortest, longest = IN_FLIGHT_AGO.get(status, FINISHED_AGO)
    last = now - timedelta(seconds=rng.randint(shortest, longest))
    at = last - timedelta(seconds=sum(gaps))
    placed, steps = at, []
    for name, gap in zip(path, gaps, strict=True):
        at += timedelta(seconds=gap)
        steps.append(Step(name, STEPS[name][0], at))
    return Life(status, placed, tuple(steps))


def actor_and_reason(rng: random.Random, step: Step, who: tuple[int, int]) -> tuple[str, str]:
    """Who took a step and why, as the use cases record it (`pay` is the partner's: its caller
    names the transaction)."""
    viewer_id, seller_id = who
    if step.name == "confirm":
        return f"buyer:{viewer_id}", ""
    if step.name == "auto":
        return "system:auto-complete", ""
    if step.name == "expire":
        return "system:hold-expiry", "no payment in time"
    if step.name in ("cancel", "cancel_paid"):
        return f"seller:{seller_id}", rng.choice(names.CANCEL_REASONS)
    if step.name == "refund":
        return f"seller:{seller_id}", rng.choice(names.REFUND_REASONS)
    return f"seller:{seller_id}", ""
