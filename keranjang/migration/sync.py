"""Bringing a batch of legacy rows into commerce, idempotently: the copy and the catch-up both go
through `apply` (a step's rows, as read from social now). The rows may be one seller's or
those of several sellers moved together (`Ctx.merchants`): each row names its seller
(`owner_id`), which names its merchant in commerce and the seller its id map row is kept
under (deleted with that seller's purge).

The protocol for one batch of a kind (product, order, line, hold, event, payment, refund):

1. the journal's id map is read for the batch's legacy ids;
2. for those it lacks, ids are reserved in commerce (its own sequence) and the pairs are
   committed to the id map **before** any commerce row exists: the journal's record of the
   batch's intent;
3. in one commerce transaction, each row is inserted under its mapped id if commerce lacks it,
   or updated if commerce has it (so a batch applied twice changes nothing the second time);
4. only then does the caller move its position (the copy's last key, the catch-up's cursor).

A crash between 2 and 3 leaves ids mapped to rows not written yet: the batch is read again from
the same position, and step 3 writes them under the same ids. A crash between 3 and 4 writes
nothing twice: step 3 finds every row there. This is Ghostferry's and Vitess VReplication's
"copy a batch, then record the position" resumable copy, with the target's ids fixed in the
journal first because commerce's tables keep no legacy key (order numbers excepted).

Buyers have a natural key, their email: an account is looked up, and opened unclaimed only if
there is none (`ON CONFLICT DO NOTHING`), so a buyer moved with two merchants has one account.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra import bulk
from keranjang.infra.clock import Clock
from keranjang.infra.database import transaction
from keranjang.migration import journal, mapping, source, target
from keranjang.migration.errors import MigrationError
from keranjang.migration.mapping import Unmappable
from keranjang.social.legacy_shop.books import PARTLY

KIND_OF_STEP = {
    "products": "product",
    "buyers": "buyer",
    "orders": "order",
    "lines": "line",
    "holds": "hold",
    "events": "event",
    "payments": "payment",
    "refunds": "refund",
}
KEY_OF_STEP = {"payments": "order_id"}  # an order's payment is keyed by its order
ATTEMPTS = 5


def no_checkpoint(_: str) -> None:
    """Where a test may stop the engine dead (a SIGKILL) between two writes."""


@dataclass
class Ctx:
    """A move of one seller or of a batch of sellers moved together (`merchants`: legacy
    seller -> its merchant in commerce), and what it is made with: the three databases and
    the clock."""

    social: Engine
    commerce: Engine
    journal: sessionmaker[Session]
    clock: Clock
    merchants: dict[int, int]
    checkpoint: Callable[[str], None] = field(default=no_checkpoint)
    # The id map as this move has read or written it, per kind. A `Ctx` lives for one phase of
    # one batch, whose moves its worker holds: nobody else maps these sellers' rows meanwhile,
    # so a step's parents (its orders, products, buyers) are read from the journal once a
    # phase, not once a step. Only what the map holds is kept: a row not mapped yet is asked
    # for again. Shared with the batch's parts (`only`, `alone`).
    ids: dict[str, dict[int, int]] = field(default_factory=dict, repr=False, compare=False)
    # The copy reads a kind's whole map of its sellers at once (`whole_maps`), then asks the
    # journal no more: looking each batch's parents up by id cost more than anything else at
    # 100,000 merchants (a giant's lines asked for 700 orders a batch, 35 ms; bench/README.md).
    # `loaded`: the sellers each kind's whole map was read for. Buyers are shared between
    # sellers (another worker may map one meanwhile): always looked up.
    whole_maps: bool = False
    loaded: dict[str, frozenset[int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def sellers(self) -> list[int]:
        return sorted(self.merchants)

    @property
    def seller_id(self) -> int:
        """The seller of a move of one (the rollback and the purge take merchants one by
        one)."""
        if len(self.merchants) != 1:
            raise MigrationError(f"a batch of {len(self.merchants)} sellers is not one seller")
        return next(iter(self.merchants))

    @property
    def merchant_id(self) -> int:
        return self.merchants[self.seller_id]

    def merchant_of(self, row: RowMapping) -> int:
        return self.merchants[int(row["owner_id"])]

    def alone(self, seller_id: int) -> "Ctx":
        """The move of one seller of the batch."""
        return self.only([seller_id])

    def only(self, sellers: Iterable[int]) -> "Ctx":
        """The move of these sellers of the batch."""
        return replace(self, merchants={s: self.merchants[s] for s in sorted(sellers)})

    def mapped(self, kind: str, legacy_ids: Iterable[int]) -> dict[int, int]:
        wanted = set(legacy_ids)
        known = self.ids.setdefault(kind, {})
        if self._whole(kind, known):
            return {i: known[i] for i in wanted if i in known}
        if missing := wanted - known.keys():
            with self.journal() as s:
                known.update(journal.mapped(s, kind, missing))
        return {i: known[i] for i in wanted if i in known}

    def _whole(self, kind: str, known: dict[int, int]) -> bool:
        """Whether `known` holds every pair of the sellers' rows of `kind` (read now if not)."""
        if not self.whole_maps or kind == "buyer":
            return False
        sellers = frozenset(self.merchants)
        if not sellers <= self.loaded.get(kind, frozenset()):
            with self.journal() as s:
                known.update(journal.pairs_of(s, sorted(sellers), kind))
            self.loaded[kind] = sellers
        return True

    def remember(self, kind: str, pairs: dict[int, int]) -> None:
        """Pairs just committed to the journal's map."""
        self.ids.setdefault(kind, {}).update(pairs)

    def highest(self, kind: str) -> int:
        with self.journal() as s:
            return journal.highest(s, kind)


class _Taken(Exception):
    """Reserved ids another writer took meanwhile (SQLite): reserve again."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(f"{len(ids)} reserved ids taken meanwhile")
        self.ids = ids


Owners = dict[int, int]  # legacy id -> its seller


def sync(
    ctx: Ctx, kind_name: str, pairs: Sequence[tuple[int, mapping.Values]], owners: Owners
) -> None:
    """Write (legacy id, commerce values) pairs of a kind, by the protocol above."""
    if not pairs:
        return
    kind = target.KINDS[kind_name]
    known = ctx.mapped(kind_name, (legacy for legacy, _ in pairs))
    for _ in range(ATTEMPTS):
        fresh = [legacy for legacy, _ in pairs if legacy not in known]
        new = _reserve(ctx, kind, (fresh, owners), known)
        rows = [{"id": known[legacy], **values} for legacy, values in pairs]
        try:
            with ctx.commerce.begin() as c:
                taken = target.write(c, kind, rows, new)
                if taken:
                    raise _Taken(taken)
                ctx.checkpoint(f"sync:{kind_name}:writing")  # before commerce's commit
            ctx.checkpoint(f"sync:{kind_name}:written")
            return
        except _Taken as exc:
            lost = set(exc.ids)
            known = {k: v for k, v in known.items() if v not in lost}
    raise Unmappable(f"commerce kept taking the ids reserved for {kind_name} rows; try again")


def _reserve(
    ctx: Ctx, kind: target.Kind, wanted: tuple[list[int], Owners], known: dict[int, int]
) -> frozenset[int]:
    """Ids reserved for the rows the map lacks, committed to the map; answers those no row of
    commerce can hold yet (PostgreSQL's sequence never hands one out twice; on SQLite another
    writer may have taken one, so none is answered)."""
    fresh, owners = wanted
    if not fresh:
        return frozenset()
    with ctx.commerce.connect() as c:
        sequenced = bulk.postgresql(c)
        above = 0 if sequenced else ctx.highest(kind.name)
        ids = target.reserve(c, kind.table, len(fresh), above)
    pairs = dict(zip(fresh, ids, strict=True))
    held = ctx.ids.get(kind.name, {})
    before = {a: held[a] for a in pairs if a in held}  # ids taken meanwhile (SQLite): corrected
    with transaction(ctx.journal) as s:
        journal.map_ids(s, owners, kind.name, pairs, known=before)
    ctx.checkpoint(f"sync:{kind.name}:intent")
    ctx.remember(kind.name, pairs)
    known.update(pairs)
    return frozenset(ids) if sequenced else frozenset()


def ensure(ctx: Ctx, step: str, keys: Iterable[int]) -> dict[int, int]:
    """The commerce ids of these legacy rows, bringing over the ones not moved yet."""
    wanted = set(keys)
    found = ctx.mapped(KIND_OF_STEP[step], wanted)
    if wanted - found.keys():
        with ctx.social.connect() as c:
            rows = source.by_keys(c, step, ctx.sellers, wanted - found.keys())
        apply(ctx, step, rows)
        found = ctx.mapped(KIND_OF_STEP[step], wanted)
    if missing := sorted(wanted - found.keys()):
        raise Unmappable(f"{step} {missing[:5]} are not the seller's rows in the app")
    return found


def key_of(step: str, row: RowMapping) -> int:
    return int(row[KEY_OF_STEP.get(step, "id")])


def owners(step: str, rows: Sequence[RowMapping]) -> Owners:
    """legacy key -> seller, of a step's rows."""
    key = KEY_OF_STEP.get(step, "id")
    return {int(r[key]): int(r["owner_id"]) for r in rows}


# -- the steps --------------------------------------------------------------------------------


def _products(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    pairs = [(r["id"], mapping.product(r, ctx.merchant_of(r))) for r in rows]
    sync(ctx, "product", pairs, owners("products", rows))


def _buyers(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    buyers = {r["id"]: mapping.buyer(r) for r in rows}
    with ctx.social.connect() as c:
        saved = source.addresses(c, list(buyers))
    with ctx.commerce.begin() as c:
        accounts = target.open_buyers(c, list(buyers.values()))
        ids = {viewer: accounts[b["email"]] for viewer, b in buyers.items()}
        target.add_addresses(c, [mapping.address(a, ids[a["viewer_id"]]) for a in saved])
    with transaction(ctx.journal) as s:
        journal.map_ids(s, owners("buyers", rows), "buyer", ids)
    ctx.remember("buyer", ids)


def _orders(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    buyers = ensure(ctx, "buyers", (r["viewer_id"] for r in rows))

    def values(r: RowMapping) -> mapping.Values:
        return mapping.order(r, mapping.OrderIds(ctx.merchant_of(r), buyers[r["viewer_id"]]))

    sync(ctx, "order", [(r["id"], values(r)) for r in rows], owners("orders", rows))


def _of_orders(ctx: Ctx, rows: Sequence[RowMapping]) -> tuple[dict[int, int], dict[int, int]]:
    orders = ensure(ctx, "orders", (r["order_id"] for r in rows))
    products = ensure(ctx, "products", (r["product_id"] for r in rows if "product_id" in r))
    return orders, products


def _lines(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    """A creator's lines get their attributions first (keyed by the legacy line's id), then
    every line is written pointing at its own."""
    orders, products = _of_orders(ctx, rows)
    came = [
        (r["id"], a)
        for r in rows
        if (a := mapping.attribution(r, products[r["product_id"]], ctx.merchant_of(r)))
    ]
    kept = _attributions_kept(ctx, [legacy for legacy, _ in came])
    sync(ctx, "attribution", [p for p in came if p[0] not in kept], owners("lines", rows))
    attributions = ctx.mapped("attribution", (legacy for legacy, _ in came))

    def values(r: RowMapping) -> mapping.Values:
        ids = (orders[r["order_id"]], products[r["product_id"]])
        return mapping.line(r, *ids, attributions.get(r["id"]))

    sync(ctx, "line", [(r["id"], values(r)) for r in rows], owners("lines", rows))


def _attributions_kept(ctx: Ctx, legacy_lines: list[int]) -> set[int]:
    """Of these legacy lines, those whose line in commerce already points at the attribution
    the map names: left as commerce keeps it (a creator's hand-off there, carried back by a
    rollback, keeps its content, pin and campaign when the merchant moves again)."""
    attributions = ctx.mapped("attribution", legacy_lines)
    if not attributions:
        return set()
    lines = ctx.mapped("line", attributions)
    with ctx.commerce.connect() as c:
        pointing = target.attributions_of_lines(c, lines.values())
    return {x for x, line in lines.items() if pointing.get(line) == attributions[x]}


def _holds(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    orders, products = _of_orders(ctx, rows)
    pairs = [
        (r["id"], mapping.hold(r, orders[r["order_id"]], products[r["product_id"]])) for r in rows
    ]
    sync(ctx, "hold", pairs, owners("holds", rows))


def _events(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    orders, _ = _of_orders(ctx, rows)
    pairs = [(r["id"], mapping.event(r, orders[r["order_id"]])) for r in rows]
    sync(ctx, "event", pairs, owners("events", rows))


def _payments(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    orders, _ = _of_orders(ctx, rows)
    pairs = [(r["order_id"], mapping.payment(r, orders[r["order_id"]])) for r in rows]
    sync(ctx, "payment", pairs, owners("payments", rows))


def _refunds(ctx: Ctx, rows: Sequence[RowMapping]) -> None:
    """A refund takes its own units (one made in commerce before a rollback) or what the
    order had left (the app's refund of the whole order). One made in commerce that the
    rollback mapped back to its row there is left as commerce keeps it (its keys, the
    partner's reference)."""
    theirs = ctx.mapped("refund", [r["id"] for r in rows if r["kind"] == PARTLY])
    rows = [r for r in rows if r["id"] not in theirs]
    if not rows:
        return
    orders, _ = _of_orders(ctx, rows)
    with ctx.social.connect() as c:
        lines = source.order_lines(c, orders)

    def took_by(r: RowMapping) -> dict[int, int]:
        own = mapping.refund_lines(r)
        return lines.get(r["order_id"], {}) if own is None else own

    took = {r["id"]: took_by(r) for r in rows}
    products = ensure(ctx, "products", {p for q in took.values() for p in q})

    def commerce_lines(refund_id: int) -> dict[int, int]:
        return {products[p]: n for p, n in took[refund_id].items() if n}

    pairs = [
        (r["id"], mapping.refund(r, orders[r["order_id"]], commerce_lines(r["id"]))) for r in rows
    ]
    sync(ctx, "refund", pairs, owners("refunds", rows))


STEPS: dict[str, Callable[[Ctx, Sequence[RowMapping]], None]] = {
    "products": _products,
    "buyers": _buyers,
    "orders": _orders,
    "lines": _lines,
    "holds": _holds,
    "events": _events,
    "payments": _payments,
    "refunds": _refunds,
}


def apply(ctx: Ctx, step: str, rows: Sequence[RowMapping]) -> int:
    """Bring a step's rows (read from social now) into commerce; answers how many."""
    if rows:
        STEPS[step](ctx, rows)
    return len(rows)


def gone(ctx: Ctx, step: str, keys: Iterable[int]) -> None:
    """Rows deleted in the app since they moved: deleted in commerce too (never an order, a
    product or a payment: the app does not delete those)."""
    if step not in ("lines", "holds", "events", "refunds"):
        return
    keys = set(keys)
    found = ctx.mapped(KIND_OF_STEP[step], keys)
    came = ctx.mapped("attribution", keys) if step == "lines" else {}
    with ctx.commerce.begin() as c:
        target.delete(c, target.KINDS[KIND_OF_STEP[step]], found.values())
        target.delete(c, target.KINDS["attribution"], came.values())  # after its line
