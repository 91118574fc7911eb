"""Checkouts and their orders (one per seller), with lines, stock holds and an event for every
transition, and their money (`money`), in batches of rows. Pure.

Sellers are drawn by their Zipf weight, so a few take most orders; a seller's first products
sell most. An order's total is its lines plus shipping; its holds are released exactly when it
ended unshipped (cancelled or expired), as the shop's `move_order` does."""

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass

from keranjang.social.legacy_shop.domain import RESTOCKING, OrderStatus
from keranjang.social.legacy_shop.generator import money, names, plan, timeline
from keranjang.social.legacy_shop.generator.people import Buyers, Pinned
from keranjang.social.legacy_shop.generator.shops import Catalog, Row
from keranjang.social.legacy_shop.generator.timeline import Life

COLUMNS: dict[str, tuple[str, ...]] = {
    "legacy_checkouts": (
        "id", "viewer_id", "idempotency_key", "fingerprint", "answer", "created_at",
    ),
    "legacy_orders": (
        "id", "number", "viewer_id", "seller_id", "checkout_id", "status", "subtotal_idr",
        "shipping_idr", "total_idr", "platform_fee_bp", "shipping_address", "tracking_number",
        "paid_by", "hold_expires_at", "delivered_at", "completed_at", "created_at", "updated_at",
    ),
    "legacy_order_lines": (
        "id", "order_id", "product_id", "title", "unit_price_idr", "quantity", "commission_bp",
        "creator_id", "refunded_quantity",
    ),
    "legacy_stock_holds": (
        "id", "order_id", "product_id", "quantity", "expires_at", "released_at",
    ),
    "legacy_order_events": (
        "id", "order_id", "from_status", "to_status", "actor", "reason", "at",
    ),
}  # fmt: skip
ORDER_TABLES = tuple(COLUMNS) + tuple(money.COLUMNS)
SHIPPING_IDR = 15_000
PLACED = '{"placed": true}'
QUANTITIES = (1, 1, 1, 1, 1, 1, 2, 2, 3, 5)


@dataclass(frozen=True)
class World:
    """What orders draw on: the plan, the catalog, the buyers, the pins, the sellers' weights."""

    plan: plan.Plan
    catalog: Catalog
    buyers: Buyers
    pinned: Pinned
    weights: list[float]


class Ids:
    def __init__(self, p: plan.Plan) -> None:
        self.next = {table: p.first(table) for table in plan.ID_TABLES}

    def take(self, table: str) -> int:
        taken = self.next[table]
        self.next[table] = taken + 1
        return taken


def order_number(order_id: int) -> str:
    """`LGC-` and 16 hex digits, as checkout makes them, but unique by construction: a 64-bit
    bijection of the id (splitmix64's finaliser) instead of random digits."""
    z = (order_id + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return f"LGC-{z ^ (z >> 31):016X}"


def batches(world: World, size: int) -> Iterator[dict[str, list[Row]]]:
    """Every order, about `size` at a time (a checkout's orders stay in one batch)."""
    rng, ids = world.plan.rng("orders"), Ids(world.plan)
    statuses, cum = plan.status_weights()
    made, total = 0, world.plan.size.orders
    while made < total:
        batch: dict[str, list[Row]] = {table: [] for table in ORDER_TABLES}
        out = money.Out(batch, ids.take)
        goal = min(total, made + size)
        while made < goal:
            status = rng.choices(statuses, cum_weights=cum)[0]
            count = 2 if total - made >= 2 and rng.random() < 0.08 else 1
            # Never more sellers than there are (one seller alone: the draw above is kept,
            # so every other marketplace comes out as before).
            count = min(count, world.plan.size.merchants)
            _checkout(rng, world, (status, count), out)
            made += count
        yield batch


def _checkout(
    rng: random.Random, world: World, what: tuple[OrderStatus, int], out: money.Out
) -> None:
    status, count = what
    life = timeline.life(rng, status, world.plan.now)
    buyer = world.buyers.pick(rng)
    viewer_id = world.buyers.first + buyer
    checkout_id = out.take("legacy_checkouts")
    key = f"{rng.getrandbits(96):024x}{checkout_id:08x}"
    fingerprint = f"{rng.getrandbits(256):064x}"
    out.add("legacy_checkouts", (checkout_id, viewer_id, key, fingerprint, PLACED, life.placed))
    sellers: list[int] = []
    while len(sellers) < count:
        seller = bisect.bisect(world.weights, rng.random() * world.weights[-1])
        if seller not in sellers:
            sellers.append(seller)
    address = world.buyers.addresses[buyer]
    for seller in sorted(sellers):
        _order(rng, world, Placing(life, checkout_id, viewer_id, seller, address), out)


@dataclass(frozen=True)
class Placing:
    life: Life
    checkout_id: int
    viewer_id: int
    seller: int  # its position in the catalog
    address: str


def _order(rng: random.Random, world: World, placing: Placing, out: money.Out) -> None:
    life, catalog = placing.life, world.catalog
    order_id = out.take("legacy_orders")
    number = order_number(order_id)
    seller_id = catalog.first_seller + placing.seller
    lines = _lines(rng, world, placing.seller)
    subtotal = sum(price * quantity for _, price, quantity, _, _ in lines)
    released = life.last if life.status in RESTOCKING else None
    for position, price, quantity, commission, creator in lines:
        product_id = catalog.first_product + position
        out.add(
            "legacy_order_lines",
            (out.take("legacy_order_lines"), order_id, product_id, catalog.titles[position],
             price, quantity, commission, creator, 0),
        )  # fmt: skip
        hold = (out.take("legacy_stock_holds"), order_id, product_id, quantity)
        out.add("legacy_stock_holds", (*hold, life.hold_expires_at, released))
    reason, pay_event = _events(rng, (order_id, placing.viewer_id, seller_id), life, out)
    share = money.share_lines([(p, q, c, who) for _, p, q, c, who in lines])
    total = subtotal + SHIPPING_IDR
    facts = money.OrderMoney(order_id, number, seller_id, total, share, life, reason)
    paid = money.money(rng, facts, out)
    if pay_event is not None and paid.transaction_id is not None:
        events = out.batch["legacy_order_events"]
        row = events[pay_event]
        events[pay_event] = (*row[:4], f"partner:{paid.transaction_id[:40]}", *row[5:])
    out.add("legacy_orders", _order_row(rng, facts, placing, paid, subtotal))


def _order_row(
    rng: random.Random, facts: money.OrderMoney, placing: Placing, paid: money.Paid, subtotal: int
) -> Row:
    life = facts.life
    shipped = life.at("ship")
    tracking = f"{rng.choice(names.COURIERS)}{rng.randrange(10**11, 10**12)}" if shipped else None
    return (
        facts.order_id, facts.number, placing.viewer_id, facts.seller_id, placing.checkout_id,
        life.status.value, subtotal, SHIPPING_IDR, facts.total_idr, money.PLATFORM_FEE_BP,
        placing.address, tracking, paid.partner_order_id, life.hold_expires_at,
        life.at("deliver"), life.at("confirm") or life.at("auto"), life.placed, life.last,
    )  # fmt: skip


def _lines(
    rng: random.Random, world: World, seller: int
) -> list[tuple[int, int, int, int, int | None]]:
    """(product position, unit price, quantity, commission, creator) per line: one to three
    products, the shop's first ones more often; a pinned product often came by its creator's
    yellow cart, and that creator earns its commission."""
    catalog = world.catalog
    per = catalog.per_seller
    wanted = min(per, 1 if rng.random() < 0.6 else rng.randint(2, 3))
    positions = sorted({seller * per + int(per * rng.random() ** 2) for _ in range(wanted)})
    lines = []
    for position in positions:
        creator = world.pinned.by_product.get(position)
        if creator is not None and rng.random() < 0.5:
            creator = None
        price = catalog.prices[position]
        if rng.random() < 0.1:  # placed before the seller last changed the price
            price = round(price * 0.9 / 500) * 500 or price
        commission = catalog.commissions[position] if creator is not None else 0
        lines.append((position, price, rng.choice(QUANTITIES), commission, creator))
    return lines


def _events(
    rng: random.Random, who: tuple[int, int, int], life: Life, out: money.Out
) -> tuple[str, int | None]:
    """The checkout's event and one per step; returns the last step's reason, and where the
    payment's event is in the batch (its actor names the transaction, drawn after)."""
    order_id, viewer_id, seller_id = who
    event = out.take("legacy_order_events")
    first = (event, order_id, None, OrderStatus.AWAITING_PAYMENT.value)
    out.add("legacy_order_events", (*first, f"buyer:{viewer_id}", "checkout", life.placed))
    current, reason, pay_event = OrderStatus.AWAITING_PAYMENT, "", None
    for step in life.steps:
        actor, reason = timeline.actor_and_reason(rng, step, (viewer_id, seller_id))
        if step.name == "pay":
            pay_event = len(out.batch["legacy_order_events"])
        row = (out.take("legacy_order_events"), order_id, current.value, step.target.value)
        out.add("legacy_order_events", (*row, actor, reason, step.at))
        current = step.target
    return reason, pay_event
