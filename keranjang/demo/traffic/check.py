"""Every acknowledged write of a journal, against the databases: is it there, once, as answered?

- an order a checkout answered (in the app or in commerce) is stored exactly once where its
  merchant lives now, with its lines and total; a checkout retried with its key answered the same
  orders; a checkout of the app has no more orders than it answered;
- a product's acknowledged price is its price now (the last acknowledged one counts); its stock
  is the last acknowledged stock, less the units later acknowledged orders took (in the app, or
  in commerce once its merchant moved: those lines name commerce's product, translated back
  through the product map), plus those later cancellations gave back (when that sum does not
  match, and the journal says orders moved it, it is reported as not checked: expired holds and
  other people's purchases move stock too). The journal is in the order answers came, not the
  order writes committed: an order whose request overlapped the stock change in time may have
  committed before or after it, so a stock that differs only where such an order could explain
  it is reported as not checked, never as lost;
- an order shipped, delivered, cancelled or received is at least that far now;
- content and pins creators made exist.

It reads only (see `where`); it is a test tool for runs on a system only the driver writes to."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from keranjang.demo.traffic.journal import Entry, read
from keranjang.demo.traffic.where import Databases, Place, Stored, opened

AT_LEAST = {
    "ship": {"shipped", "delivered", "completed", "refunded"},
    "delivered": {"delivered", "completed", "refunded"},
    "cancel": {"cancelled", "refunded"},
    "received": {"completed", "refunded"},
}
PROBLEMS = ("missing", "doubled", "mismatched")


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | doubled | mismatched | not_checked
    what: str
    detail: str = ""


@dataclass
class Report:
    checked: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.kind in PROBLEMS]

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, what: str, detail: str = "") -> None:
        self.findings.append(Finding(kind, what, detail))


def check(journal: Path, databases: Databases) -> Report:
    entries = [e for e in read(journal) if e.acknowledged]
    report = Report()
    with opened(databases) as place:
        check_orders(entries, place, report)
        check_products(entries, place, report)
        check_moves(entries, place, report)
        check_social(entries, place, report)
    return report


def checkouts(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.action == "checkout" and e.keys.get("orders") is not None]


def check_orders(entries: list[Entry], place: Place, report: Report) -> None:
    answered: dict[tuple[str, str], set[str]] = {}  # (side, key) → order numbers answered
    for entry in checkouts(entries):
        numbers = {o["number"] for o in entry.keys["orders"]}
        earlier = answered.setdefault((entry.keys["side"], entry.idempotency_key or ""), numbers)
        if earlier != numbers:
            report.add("doubled", f"checkout key {entry.idempotency_key}",
                       f"answered {sorted(earlier)} and then {sorted(numbers)}")  # fmt: skip
            continue
        if entry.keys["side"] == "legacy" and entry.keys.get("replayed") is False:
            check_checkout_count(entry, place, report)
        for order in entry.keys["orders"]:
            check_order(order, place, report)


def check_checkout_count(entry: Entry, place: Place, report: Report) -> None:
    orders = entry.keys["orders"]
    if any(place.route(o["merchant"]) != "legacy" for o in orders):
        return  # moved: the app's rows may be purged
    stored = place.orders_of_checkout(entry.keys["checkout_id"])
    if stored > len(orders):
        report.add("doubled", f"checkout {entry.keys['checkout_id']}",
                   f"{stored} orders stored, {len(orders)} answered")  # fmt: skip


def check_order(order: dict[str, Any], place: Place, report: Report) -> None:
    report.checked["orders"] += 1
    side = "legacy" if place.route(order["merchant"]) == "legacy" else "commerce"
    what = f"order {order['number']} (merchant {order['merchant']}, now in {side})"
    found = place.orders(order["number"], side)
    if not found:
        report.add("missing", what, f"answered with total {order['total_idr']}")
        return
    stored = found[0]
    if len(found) > 1 or (side == "commerce" and place.copies(stored) > 1):
        report.add("doubled", what, f"{max(len(found), place.copies(stored))} copies")
        return
    if stored.total_idr != order["total_idr"]:
        report.add("mismatched", what, f"total {stored.total_idr}, answered {order['total_idr']}")
    elif not same_lines(order, stored, place):
        report.add("mismatched", what, f"lines {stored.lines}, answered {order['lines']}")


def same_lines(order: dict[str, Any], stored: Stored, place: Place) -> bool:
    """Lines as answered, with the product ids translated when the order now lives on the other
    side: a legacy product's id mapped when the order moved to commerce, a commerce product's id
    mapped back when an order placed in commerce went back to the app with a rollback (compared
    on quantity and unit price alone where the product is not mapped)."""
    answered = [tuple(line) for line in order["lines"]]
    placed_in_commerce = "commerce_merchant_id" in order
    if stored.side == "commerce" and not placed_in_commerce:
        translate = place.product_map
    elif stored.side == "legacy" and placed_in_commerce:
        translate = {c: legacy for legacy, c in place.product_map.items()}
    else:
        return sorted(stored.lines) == sorted(answered)
    answered = [(translate.get(p, -1), q, u) for p, q, u in answered]
    if any(p == -1 for p, _, _ in answered):
        return sorted(s[1:] for s in stored.lines) == sorted(a[1:] for a in answered)
    return sorted(stored.lines) == sorted(answered)


def check_products(entries: list[Entry], place: Place, report: Report) -> None:
    last: dict[tuple[int, str], tuple[int, Entry]] = {}
    for i, entry in enumerate(entries):
        if entry.action in ("price", "stock") and "product_id" in entry.keys:
            last[(entry.keys["product_id"], entry.action)] = (i, entry)
    to_legacy = {moved: legacy for legacy, moved in place.product_map.items()}
    for (product, field_name), (i, entry) in sorted(last.items()):
        report.checked[field_name] += 1
        what = f"{field_name} of product {product} (seller {entry.keys['seller_id']})"
        found = place.product(product, entry.keys["seller_id"])
        if found is None:
            report.add("missing", what, "the product is not where its seller lives now")
            continue
        if field_name == "price":
            if found[2] != entry.keys["price_idr"]:
                report.add(
                    "mismatched",
                    what,
                    f"{found[2]} in {found[0]}, acknowledged {entry.keys['price_idr']}",
                )
            continue
        moved = sum(stock_moves(e, product, to_legacy) for e in entries[i + 1 :])
        overlapping = any(stock_moves(e, product, to_legacy) for e in overlapped(entries, i))
        if moved == 0 and not overlapping and found[3] != entry.keys["stock"]:
            report.add(
                "mismatched", what, f"{found[3]} in {found[0]}, acknowledged {entry.keys['stock']}"
            )
        elif found[3] != entry.keys["stock"] + moved:
            expected = entry.keys["stock"] + moved
            report.add("not_checked", what, f"set to {entry.keys['stock']}, {expected} after the "
                       f"journal's later orders and cancellations, {found[3]} now")  # fmt: skip


def overlapped(entries: list[Entry], i: int) -> list[Entry]:
    """The entries answered before entry `i` whose requests were still under way when its
    request was sent: they may have committed after it."""
    sent = _started(entries[i])
    return [e for e in entries[:i] if sent is not None and (_answered(e) or sent) > sent]


def _answered(entry: Entry) -> datetime | None:
    return datetime.fromisoformat(entry.t) if entry.t else None


def _started(entry: Entry) -> datetime | None:
    answered = _answered(entry)
    return None if answered is None else answered - timedelta(milliseconds=entry.latency_ms)


def stock_moves(entry: Entry, product: int, to_legacy: dict[int, int] | None = None) -> int:
    """Units of a legacy product an acknowledged write took (an order placed, in the app or, for
    a moved product, in commerce: `to_legacy` maps commerce's product ids back) or gave back (an
    order cancelled). Other moves (holds released when they expire, other people's purchases)
    are not in the journal: a stock they moved is reported as not checked, never as lost."""
    if entry.action == "checkout" and entry.acknowledged and entry.keys.get("side"):
        if entry.keys.get("replayed"):
            return 0
        lines = [line for o in entry.keys["orders"] for line in o["lines"]]
        if entry.keys["side"] == "legacy":
            return -sum(line[1] for line in lines if line[0] == product)
        return -sum(line[1] for line in lines if (to_legacy or {}).get(line[0]) == product)
    if entry.action == "cancel" and entry.acknowledged:
        return sum(line[1] for line in entry.keys.get("lines", []) if line[0] == product)
    return 0


def check_moves(entries: list[Entry], place: Place, report: Report) -> None:
    latest: dict[str, Entry] = {}
    for entry in entries:
        if entry.action in AT_LEAST and "number" in entry.keys:
            latest[entry.keys["number"]] = entry
    for number, entry in latest.items():
        report.checked[entry.action] += 1
        merchant = entry.merchant or 0
        side = "legacy" if place.route(merchant) == "legacy" else "commerce"
        what = f"{entry.action} of order {number} (merchant {merchant}, now in {side})"
        found = place.orders(number, side)
        if not found:
            report.add("missing", what)
        elif found[0].status not in AT_LEAST[entry.action]:
            report.add("mismatched", what, f"status {found[0].status}")


def check_social(entries: list[Entry], place: Place, report: Report) -> None:
    for entry in entries:
        for key, table in (("content_id", "content"), ("pin_id", "pins")):
            if entry.action in ("go_live", "pin") and key in entry.keys:
                if key == "content_id" and entry.action == "pin":
                    continue
                report.checked[table] += 1
                if not place.exists(table, entry.keys[key]):
                    report.add("missing", f"{table} {entry.keys[key]}")
