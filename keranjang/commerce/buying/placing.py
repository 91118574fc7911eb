"""Placing checkouts, many at once: every checkout waiting at a moment is placed in one
transaction with one statement per table for the whole group (group commit, run by
`keranjang.infra.batching.Batcher`). A group of one is an ordinary checkout.

Inside the group the checkouts are decided one after the other, in the order they arrived, as if
each had its own transaction: the products in the group's carts are locked first (`FOR UPDATE`;
on SQLite the process's one writer), the stock is counted down in memory, and a checkout that
finds too little left is refused and stored as refused, while the others go through. The
decrements are then written with the same guard as a lone checkout (`stock >= quantity`), so if
anything else took stock meanwhile the whole group rolls back and is placed again one by one."""

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from keranjang.commerce.buying import group_reads, group_writes
from keranjang.commerce.buying.domain import (
    CartLine,
    check_same_request,
    hold_expiry,
    split_by_merchant,
)
from keranjang.commerce.buying.group import REFUSALS, Accepted, Answer, Ask, Outcome, Rules, refused
from keranjang.commerce.errors import CommerceError


def place_group(c: Connection, asks: list[Ask], now: datetime, rules: Rules) -> list[Outcome]:
    """Each ask's outcome, in order: an answer to store and send (placed or refused), a replay
    of a stored answer, or an error for that ask alone (not logged in, key reused with another
    body). The caller commits; an exception means nothing of the group may be kept."""
    group = _read(c, asks, now, rules)
    outcomes: list[Outcome | _Replay | None] = [None] * len(asks)
    accepted = [x for i in range(len(asks)) if (x := _decide(group, outcomes, i, rules))]
    if accepted:
        _place(c, group, accepted, outcomes, rules)
    _store_answers(c, group, outcomes)
    settled = [_settled(outcomes, i) for i in range(len(asks))]
    return [
        replace(o, buyer_id=b)
        if isinstance(o, Answer) and isinstance(b := group.buyers[i], int)
        else o
        for i, o in enumerate(settled)
    ]


@dataclass
class _Group:
    """What the group's reads found, and the keys decided so far (the first ask with a key)."""

    asks: list[Ask]
    now: datetime
    buyers: list[int | CommerceError]
    stored: dict[tuple[int, str], Any]
    addresses: dict[int, Any]
    carts: dict[int, list[CartLine]]
    line_ids: dict[int, list[int]]
    stock: dict[int, int]
    not_selling: dict[int, str]  # merchant id -> name, of the carts' shops not selling now
    first_with_key: dict[tuple[int, str], int] = field(default_factory=dict)


def _read(c: Connection, asks: list[Ask], now: datetime, rules: Rules) -> _Group:
    buyers = group_reads.buyers(c, asks, now)
    known = [(i, b) for i, b in enumerate(buyers) if isinstance(b, int)]
    stored = group_reads.stored_answers(c, [(b, asks[i].key) for i, b in known])
    addresses = group_reads.addresses(
        c, [asks[i].body["address_id"] for i, _ in known if "address_id" in asks[i].body]
    )
    carts, line_ids, stock = group_reads.read_carts(
        c, sorted({b for _, b in known}), now - rules.attribution_window, lock=True
    )
    closed = group_reads.not_selling(c, carts)
    return _Group(asks, now, buyers, stored, addresses, carts, line_ids, stock, closed)


def _decide(
    g: _Group, outcomes: list["Outcome | _Replay | None"], i: int, rules: Rules
) -> Accepted | None:
    """Ask `i` decided as if alone, after the asks before it: its outcome, or accepted."""
    ask, buyer = g.asks[i], g.buyers[i]
    if not isinstance(buyer, int):
        outcomes[i] = buyer
        return None
    try:
        if (buyer, ask.key) in g.first_with_key:  # the same key twice in one group
            first = g.first_with_key[(buyer, ask.key)]
            check_same_request(g.asks[first].fingerprint, ask.fingerprint)
            outcomes[i] = _Replay(first)
            return None
        if (buyer, ask.key) in g.stored:
            outcomes[i] = group_reads.replayed(g.stored[(buyer, ask.key)], ask.fingerprint)
            return None
        # A shop not selling now: an error, not stored, so a retry with the key may succeed.
        group_reads.check_selling(g.carts.get(buyer, []), g.not_selling)
    except CommerceError as exc:
        outcomes[i] = exc
        return None
    g.first_with_key[(buyer, ask.key)] = i
    try:
        address = group_reads.shipping_address(ask.body, buyer, g.addresses)
        lines = g.carts.get(buyer, [])
        drafts = split_by_merchant(lines, group_reads.shipping_price(ask.body, rules.shipping_idr))
        group_reads.take(g.stock, lines)
    except REFUSALS as exc:
        outcomes[i] = refused(exc)
        return None
    g.carts.pop(buyer, None)  # a second checkout of this buyer in the group finds it empty
    return Accepted(i, buyer, drafts, address)


def _place(
    c: Connection,
    g: _Group,
    accepted: list[Accepted],
    outcomes: list["Outcome | _Replay | None"],
    rules: Rules,
) -> None:
    expires = hold_expiry(g.now, rules.hold_minutes)
    group_writes.write_stock(c, accepted)
    placed = group_writes.insert_orders(c, accepted, g.now, expires, rules)
    for item, views in zip(accepted, placed, strict=True):
        outcomes[item.index] = Answer(
            201, {"orders": views, "hold_expires_at": expires.isoformat()}
        )
    # Only the lines ordered: a line added meanwhile (another tab) stays in the cart.
    ordered = sorted(line for x in accepted for line in g.line_ids[x.buyer_id])
    c.execute(group_writes.EMPTY_CARTS, {"lines": ordered})


def _store_answers(c: Connection, g: _Group, outcomes: list["Outcome | _Replay | None"]) -> None:
    """Every new answer with its key; errors are not stored (nothing was decided)."""
    new_keys = [
        {
            "buyer_id": g.buyers[i],
            "key": g.asks[i].key,
            "fingerprint": g.asks[i].fingerprint,
            "status_code": outcome.status_code,
            "response": json.dumps(outcome.body),
            "created_at": g.now,
        }
        for i, outcome in enumerate(outcomes)
        if isinstance(outcome, Answer) and not outcome.replayed
    ]
    if new_keys:
        c.execute(group_writes.INSERT_KEYS, new_keys)


@dataclass(frozen=True)
class _Replay:
    """The answer of an earlier ask of the group with the same key."""

    first: int


def _settled(outcomes: list["Outcome | _Replay | None"], i: int) -> Outcome:
    outcome = outcomes[i]
    if isinstance(outcome, _Replay):
        first = outcomes[outcome.first]
        assert isinstance(first, Answer)  # the first with a key is answered, never an error
        return replace(first, replayed=True)
    assert outcome is not None, "every ask of the group is decided"
    return outcome
