"""Verification of moved merchants in business terms, both sides read now, each merchant's rows
only (a batch's merchants are read together, and each is compared with its own seller): every legacy row of each step is in commerce (counts, and which rows are missing),
each order's number, state and amounts, payment sums per status, stock per product, and the
money (each open order's escrow and the payable balance against the opening entries).

Commerce rows the merchant made since the cutover (new orders, their holds) are commerce's own,
never reported as extra; rows changed there since the cutover are not compared field by field
(the app's copy is the state at the cutover). Another merchant's rows are never read: every
read is by this seller's keys or this merchant's id (unlike a tenant-scoped row diff, which
reported other tenants' rows as extra, vitess#16305); in a batch, every row read carries its
seller, and a row is compared only with its own seller's merchant's.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.orders import db as order_db
from keranjang.infra.bulk import among, chunks, one_of
from keranjang.migration import journal, source, source_books, target
from keranjang.migration.sync import KIND_OF_STEP, Ctx

SHOWN = 20  # rows named per difference at most


@dataclass
class Report:
    checks: int = 0
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences

    def check(self, ok: bool, difference: str) -> None:
        self.checks += 1
        if not ok:
            self.differences.append(difference)

    def detail(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": self.checks,
            "rows": self.rows,
            "differences": self.differences,
        }


def _named(keys: Iterable[Any]) -> str:
    keys = sorted(keys)
    return ", ".join(map(str, keys[:SHOWN])) + (
        f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    )


Reports = dict[int, Report]  # seller -> its verification
Maps = dict[int, dict[str, dict[int, int]]]  # seller -> step -> legacy id -> commerce id


@dataclass(frozen=True)
class Given:
    maps: Maps
    since: dict[int, datetime]  # seller -> its cutover


def verify(ctx: Ctx, cutover_at: dict[int, datetime]) -> Reports:
    """Each seller's verification, the batch's sellers read together (one set of statements
    for all of them), each seller's rows compared with its own merchant's only."""
    reports = {seller: Report() for seller in ctx.sellers}
    with ctx.social.connect() as social, ctx.commerce.connect() as commerce:
        given = Given(_counts(ctx, social, commerce, reports), cutover_at)
        _orders(ctx, (social, commerce), given, reports)
        _payments(ctx, (social, commerce), given, reports)
        _stock(ctx, (social, commerce), given, reports)
        _money(ctx, (social, commerce), given.maps, reports)
        _shop(ctx, social, commerce, reports)
    return reports


Both = tuple[Connection, Connection]  # social, commerce


def _shop(ctx: Ctx, social: Connection, commerce: Connection, reports: Reports) -> None:
    """Each shop itself and its payout account."""
    a = money_db.PayoutAccountRow
    fields = ("bank_code", "account_number", "holder_name")
    query = select(a.merchant_id, *(getattr(a, f) for f in fields))
    ours = {
        int(r[0]): tuple(r[1:])
        for r in commerce.execute(query.where(one_of(a.merchant_id, list(ctx.merchants.values()))))
    }
    accounts = source_books.payout_accounts(social, ctx.sellers)
    for seller, report in reports.items():
        theirs = accounts.get(seller)
        report.rows += 1 + (theirs is not None)
        if theirs is not None:
            same = ours.get(ctx.merchants[seller]) == tuple(theirs[f] for f in fields)
            report.check(same, "the payout account differs")


def _counts(ctx: Ctx, social: Connection, commerce: Connection, reports: Reports) -> Maps:
    """Each step's legacy rows of each seller, all in commerce: answers, per seller, legacy ->
    commerce ids per step."""
    owned = source.owned_keys(social, ctx.sellers)
    every = {step: {k for keys in owned.values() for k in keys[step]} for step in source.STEPS}
    with ctx.journal() as s:
        mapped = {step: _mapped(s, ctx.sellers, step, every[step]) for step in every}
    for step in source.STEPS:
        kind = KIND_OF_STEP[step]
        if kind in target.KINDS and mapped[step]:
            there = target.present(commerce, target.KINDS[kind], mapped[step].values())
            mapped[step] = {k: v for k, v in mapped[step].items() if v in there}
    maps: Maps = {}
    for seller, report in reports.items():
        maps[seller] = {}
        for step in source.STEPS:
            keys = owned[seller][step]
            found = {k: mapped[step][k] for k in keys if k in mapped[step]}
            maps[seller][step] = found
            report.rows += len(keys)
            missing = keys - found.keys()
            report.check(
                not missing,
                f"{step}: {len(missing)} of {len(keys)} not in commerce ({_named(missing)})",
            )
    return maps


def _mapped(s: Session, sellers: list[int], step: str, keys: set[int]) -> dict[int, int]:
    """The map of these keys of the sellers' rows: read by seller (the rows a batch mapped lie
    together; looked up key by key, the 4 million keys of 100,000 merchants cost the journal
    24 s), but buyers by key, since a buyer is mapped under the first seller it moved with."""
    kind = KIND_OF_STEP[step]
    if kind == "buyer":
        return journal.mapped(s, kind, keys)
    return {k: v for k, v in journal.pairs_of(s, sellers, kind).items() if k in keys}


ORDER_FIELDS = ("number", "status", "subtotal_idr", "shipping_idr", "total_idr")


def _orders(ctx: Ctx, both: Both, given: Given, reports: Reports) -> None:
    social, commerce = both
    o, co = source.o, order_db.OrderRow
    fields = ORDER_FIELDS
    query = select(co.id, co.merchant_id, co.updated_at, *(getattr(co, f) for f in fields))
    theirs = {
        int(r.id): r
        for r in commerce.execute(query.where(one_of(co.merchant_id, list(ctx.merchants.values()))))
    }
    differing: dict[int, list[str]] = {seller: [] for seller in reports}
    for r in social.execute(
        select(o.id, o.seller_id, *(getattr(o, f) for f in fields)).where(
            one_of(o.seller_id, ctx.sellers)
        )
    ):
        seller = int(r.seller_id)
        other = theirs.get(given.maps[seller]["orders"].get(int(r.id), -1))
        if other is None or other.merchant_id != ctx.merchants[seller]:
            continue  # counted missing above
        compared = fields if other.updated_at <= given.since[seller] else fields[:1] + fields[2:]
        if any(getattr(r, f) != getattr(other, f) for f in compared):
            differing[seller].append(r.number)
    for seller, report in reports.items():
        found = differing[seller]
        report.check(not found, f"orders differ in state or amounts: {_named(found)}")


def _payments(ctx: Ctx, both: Both, given: Given, reports: Reports) -> None:
    """Rupiah per payment status, each order's latest attempt, payments changed in commerce
    since the cutover left out on both sides."""
    social, commerce = both
    p = money_db.PaymentRow
    wanted = {i for m in given.maps.values() for i in m["payments"].values()}
    rows: list[Any] = []
    for chunk in chunks(commerce, wanted):
        query = select(p.id, p.status, p.amount_idr, p.updated_at)
        rows += commerce.execute(query.where(among(commerce, p.id, chunk))).all()
    found = {int(r.id): r for r in rows}
    query, _ = source.step_query("payments", ctx.sellers)
    legacy: dict[int, Counter[str]] = {seller: Counter() for seller in reports}
    ours: dict[int, Counter[str]] = {seller: Counter() for seller in reports}
    for x in social.execute(query).mappings():
        seller = int(x["owner_id"])
        r = found.get(given.maps[seller]["payments"].get(int(x["order_id"]), 0))
        if r is not None and r.updated_at > given.since[seller]:
            continue  # changed in commerce since the cutover
        legacy[seller][x["status"]] += int(x["amount_idr"])
        if r is not None:
            ours[seller][r.status] += int(r.amount_idr)
    for seller, report in reports.items():
        mine, theirs = ours[seller], legacy[seller]
        for status in sorted(set(mine) | set(theirs)):
            report.check(
                mine[status] == theirs[status],
                f"payments {status}: {theirs[status]} IDR in the app, "
                f"{mine[status]} IDR in commerce",
            )


def _stock(ctx: Ctx, both: Both, given: Given, reports: Reports) -> None:
    """Stock per product: the app's, against commerce's plus what orders placed in commerce
    since the cutover hold (or took)."""
    social, commerce = both
    cp, h, co = catalog_db.ProductRow, order_db.StockHoldRow, order_db.OrderRow
    merchants = list(ctx.merchants.values())
    query = select(cp.id, cp.merchant_id, cp.stock, cp.updated_at)
    theirs = {
        int(r.id): r for r in commerce.execute(query.where(one_of(cp.merchant_id, merchants)))
    }
    since = {ctx.merchants[s]: at for s, at in given.since.items()}
    taken: Counter[int] = Counter()
    held = (
        select(h.product_id, co.merchant_id, co.created_at, h.quantity)
        .join(co, co.id == h.order_id)
        .where(
            one_of(co.merchant_id, merchants),
            co.created_at > min(given.since.values()),
            h.released_at.is_(None),
        )
    )
    for product_id, merchant_id, created_at, quantity in commerce.execute(held):
        if created_at > since[int(merchant_id)]:
            taken[int(product_id)] += int(quantity)
    differing: dict[int, list[str]] = {seller: [] for seller in reports}
    p = source.p
    for legacy_id, seller, stock in social.execute(
        select(p.id, p.seller_id, p.stock).where(one_of(p.seller_id, ctx.sellers))
    ):
        seller = int(seller)
        other = theirs.get(given.maps[seller]["products"].get(int(legacy_id), -1))
        if other is None or other.updated_at > given.since[seller]:
            continue
        if stock != other.stock + taken[int(other.id)]:
            differing[seller].append(f"{legacy_id} ({stock} in the app, {other.stock} in commerce)")
    for seller, report in reports.items():
        found = differing[seller]
        report.check(not found, f"stock differs for products {_named(found)}")


def _money(ctx: Ctx, both: Both, maps: Maps, reports: Reports) -> None:
    """Each open order's escrow and each payable balance, against the opening entries of this
    move (a merchant moved again after a rollback opens under names of its own)."""
    social, commerce = both
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    with ctx.journal() as s:
        rounds = journal.rounds(s, ctx.sellers)

    def escrow_ref(seller: int, order_id: int | None) -> str:
        return ledger.moved_again(f"payment:{order_id}", rounds[seller])

    def payable_ref(seller: int) -> str:
        return ledger.moved_again(f"opening:{ctx.merchants[seller]}:payable", rounds[seller])

    refs = [escrow_ref(s, i) for s, m in maps.items() for i in m["orders"].values()]
    refs += [payable_ref(s) for s in ctx.merchants]
    opened: dict[str, int] = {}
    for chunk in chunks(commerce, refs):
        query = (
            select(e.ref, func.sum(p.credit_idr) - func.sum(p.debit_idr))
            .join(p, p.entry_id == e.id)
            .where(e.kind == "opening", p.account != ledger.MIGRATION_CLEARING)
            .where(among(commerce, e.ref, chunk))
            .group_by(e.ref)
        )
        opened.update({str(ref): int(credit) for ref, credit in commerce.execute(query)})
    escrow, payables = (
        source_books.escrow_of(social, ctx.sellers),
        source_books.payables(social, ctx.sellers),
    )
    for seller, report in reports.items():
        orders = maps[seller]["orders"]
        differing = [
            f"{number} ({amount} IDR in the app's escrow, "
            f"{opened.get(escrow_ref(seller, orders.get(i)), 0)} opened)"
            for i, number, amount in escrow.get(seller, [])
            if opened.get(escrow_ref(seller, orders.get(i)), 0) != amount
        ]
        report.check(not differing, f"escrow differs for orders {_named(differing)}")
        payable = payables.get(seller, 0)
        ours = opened.get(payable_ref(seller), 0)
        report.check(
            payable == ours, f"payable: {payable} IDR in the app, {ours} IDR opened in commerce"
        )
