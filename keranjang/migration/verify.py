"""Verification of one moved merchant in business terms, both sides read now, this merchant's
rows only: every legacy row of each step is in commerce (counts, and which rows are missing),
each order's number, state and amounts, payment sums per status, stock per product, and the
money (each open order's escrow and the payable balance against the opening entries).

Commerce rows the merchant made since the cutover (new orders, their holds) are commerce's own,
never reported as extra; rows changed there since the cutover are not compared field by field
(the app's copy is the state at the cutover). Another merchant's rows are never read: every
read is by this seller's keys or this merchant's id (unlike a tenant-scoped row diff, which
reported other tenants' rows as extra, vitess#16305).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from keranjang.commerce.catalog import db as catalog_db
from keranjang.commerce.money import db as money_db
from keranjang.commerce.money import ledger
from keranjang.commerce.orders import db as order_db
from keranjang.migration import journal, source, target
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


def verify(ctx: Ctx, cutover_at: datetime) -> Report:
    report = Report()
    with ctx.social.connect() as social, ctx.commerce.connect() as commerce:
        maps = _counts(ctx, social, commerce, report)
        _orders(ctx, social, commerce, (maps["orders"], cutover_at), report)
        _payments(ctx, social, commerce, (maps["payments"], cutover_at), report)
        _stock(ctx, social, commerce, (maps["products"], cutover_at), report)
        _money(ctx, social, commerce, maps["orders"], report)
        _shop(ctx, social, commerce, report)
    return report


def _shop(ctx: Ctx, social: Connection, commerce: Connection, report: Report) -> None:
    """The shop itself and its payout account."""
    a = money_db.PayoutAccountRow
    fields = ("bank_code", "account_number", "holder_name")
    ours = commerce.execute(
        select(*(getattr(a, f) for f in fields)).where(a.merchant_id == ctx.merchant_id)
    ).first()
    theirs = source.payout_account(social, ctx.seller_id)
    report.rows += 1 + (theirs is not None)
    if theirs is not None:
        same = ours is not None and tuple(ours) == tuple(theirs[f] for f in fields)
        report.check(same, "the payout account differs")


def _counts(
    ctx: Ctx, social: Connection, commerce: Connection, report: Report
) -> dict[str, dict[int, int]]:
    """Each step's legacy rows, all in commerce: answers legacy -> commerce ids per step."""
    maps: dict[str, dict[int, int]] = {}
    every = source.step_keys(social, ctx.seller_id)
    with ctx.journal() as s:
        mapped = {step: journal.mapped(s, KIND_OF_STEP[step], every[step]) for step in every}
    for step in source.STEPS:
        keys, found = every[step], mapped[step]
        kind = KIND_OF_STEP[step]
        if kind in target.KINDS and found:
            there = target.present(commerce, target.KINDS[kind], found.values())
            found = {k: v for k, v in found.items() if v in there}
        maps[step] = found
        report.rows += len(keys)
        missing = keys - found.keys()
        report.check(
            not missing,
            f"{step}: {len(missing)} of {len(keys)} not in commerce ({_named(missing)})",
        )
    return maps


def _orders(
    ctx: Ctx,
    social: Connection,
    commerce: Connection,
    given: tuple[dict[int, int], datetime],
    report: Report,
) -> None:
    ids, since = given
    o, co = source.o, order_db.OrderRow
    fields = ("number", "status", "subtotal_idr", "shipping_idr", "total_idr")
    theirs = {
        int(r.id): r
        for r in commerce.execute(
            select(co.id, co.updated_at, *(getattr(co, f) for f in fields)).where(
                co.merchant_id == ctx.merchant_id
            )
        )
    }
    differing = []
    for r in social.execute(
        select(o.id, *(getattr(o, f) for f in fields)).where(o.seller_id == ctx.seller_id)
    ):
        other = theirs.get(ids.get(int(r.id), -1))
        if other is None:
            continue  # counted missing above
        compared = fields if other.updated_at <= since else fields[:1] + fields[2:]
        if any(getattr(r, f) != getattr(other, f) for f in compared):
            differing.append(r.number)
    report.check(not differing, f"orders differ in state or amounts: {_named(differing)}")


def _payments(
    ctx: Ctx,
    social: Connection,
    commerce: Connection,
    given: tuple[dict[int, int], datetime],
    report: Report,
) -> None:
    """Rupiah per payment status, each order's latest attempt, payments changed in commerce
    since the cutover left out on both sides."""
    ids, since = given
    p = money_db.PaymentRow
    wanted = list(ids.values()) or [-1]  # legacy order id -> commerce payment id
    rows = commerce.execute(
        select(p.id, p.status, p.amount_idr, p.updated_at).where(p.id.in_(wanted))
    ).all()
    changed = {int(r.id) for r in rows if r.updated_at > since}
    ours: Counter[str] = Counter()
    for r in rows:
        if int(r.id) not in changed:
            ours[r.status] += int(r.amount_idr)
    query, _ = source.step_query("payments", ctx.seller_id)
    legacy: Counter[str] = Counter()
    for x in social.execute(query).mappings():
        if ids.get(int(x["order_id"]), 0) not in changed:
            legacy[x["status"]] += int(x["amount_idr"])
    for status in sorted(set(ours) | set(legacy)):
        report.check(
            ours[status] == legacy[status],
            f"payments {status}: {legacy[status]} IDR in the app, {ours[status]} IDR in commerce",
        )


def _stock(
    ctx: Ctx,
    social: Connection,
    commerce: Connection,
    given: tuple[dict[int, int], datetime],
    report: Report,
) -> None:
    """Stock per product: the app's, against commerce's plus what orders placed in commerce
    since the cutover hold (or took)."""
    ids, since = given
    cp, h, co = catalog_db.ProductRow, order_db.StockHoldRow, order_db.OrderRow
    theirs = {
        int(r.id): r
        for r in commerce.execute(
            select(cp.id, cp.stock, cp.updated_at).where(cp.merchant_id == ctx.merchant_id)
        )
    }
    taken = dict(
        commerce.execute(
            select(h.product_id, func.sum(h.quantity))
            .join(co, co.id == h.order_id)
            .where(
                co.merchant_id == ctx.merchant_id, co.created_at > since, h.released_at.is_(None)
            )
            .group_by(h.product_id)
        ).all()
    )
    differing = []
    for legacy_id, stock in social.execute(
        select(source.p.id, source.p.stock).where(source.p.seller_id == ctx.seller_id)
    ):
        other = theirs.get(ids.get(int(legacy_id), -1))
        if other is None or other.updated_at > since:
            continue
        if stock != other.stock + int(taken.get(other.id, 0)):
            differing.append(f"{legacy_id} ({stock} in the app, {other.stock} in commerce)")
    report.check(not differing, f"stock differs for products {_named(differing)}")


def _money(
    ctx: Ctx, social: Connection, commerce: Connection, orders: dict[int, int], report: Report
) -> None:
    """Each open order's escrow and the payable balance, against the opening entries."""
    e, p = money_db.LedgerEntryRow, money_db.LedgerPostingRow
    opened = {
        str(ref): int(credit)
        for ref, credit in commerce.execute(
            select(e.ref, func.sum(p.credit_idr) - func.sum(p.debit_idr))
            .join(p, p.entry_id == e.id)
            .where(e.kind == "opening", p.account != ledger.MIGRATION_CLEARING)
            .where(
                e.ref.in_(
                    [f"payment:{i}" for i in orders.values()]
                    + [f"opening:{ctx.merchant_id}:payable"]
                )
            )
            .group_by(e.ref)
        )
    }
    differing = [
        f"{number} ({amount} IDR in the app's escrow, {opened.get(f'payment:{orders.get(i)}', 0)} opened)"
        for i, number, amount in source.open_escrow(social, ctx.seller_id)
        if opened.get(f"payment:{orders.get(i)}", 0) != amount
    ]
    report.check(not differing, f"escrow differs for orders {_named(differing)}")
    payable, ours = (
        source.payable(social, ctx.seller_id),
        opened.get(f"opening:{ctx.merchant_id}:payable", 0),
    )
    report.check(
        payable == ours, f"payable: {payable} IDR in the app, {ours} IDR opened in commerce"
    )
