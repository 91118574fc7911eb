"""Putting staged opening entries right (`staging.Staged.plan` and `restage`), against a stand-in
transaction whose savepoints roll back what was posted after them: whatever the drain changed,
the transaction ends holding exactly the entries the books now want, in order, each once; a
change re-posts only from the savepoint before it; no change posts nothing."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keranjang.commerce.money import ledger
from keranjang.migration import staging

Books = dict[int, ledger.Opening]


@dataclass
class Savepoint:
    db: "Transaction"
    at: int
    active: bool = True

    def rollback(self) -> None:
        assert self.active, "rolled back to a savepoint already gone"
        del self.db.entries[self.at :]
        for later in self.db.savepoints[self.db.savepoints.index(self) :]:
            later.active = False


@dataclass
class Transaction:
    """What a commerce transaction holds: the entries posted, in order, and its savepoints."""

    entries: list[ledger.Entry] = field(default_factory=list)
    savepoints: list[Savepoint] = field(default_factory=list)
    posted: int = 0

    def begin_nested(self) -> Savepoint:
        self.savepoints.append(Savepoint(self, len(self.entries)))
        return self.savepoints[-1]


@pytest.fixture(autouse=True)
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def post_many(s: Transaction, entries: list[ledger.Entry], _at: datetime) -> int:
        s.entries += entries
        s.posted += len(entries)
        return len(entries)

    monkeypatch.setattr(staging, "postgresql", lambda _s: True)
    monkeypatch.setattr(staging.money_db, "post_many", post_many)
    monkeypatch.setattr(staging, "CHUNK", 3)


def staged(books: Books, last: tuple[int, ...] = ()) -> tuple[staging.Staged, Transaction]:
    db = Transaction()
    ctx = SimpleNamespace(clock=SimpleNamespace(now=lambda: datetime(2026, 1, 1, tzinfo=UTC)))
    held = staging.Staged(db, ctx)  # type: ignore[arg-type]
    held.stage(books, last)
    return held, db


def wanted(held: staging.Staged, books: Books) -> list[ledger.Entry]:
    return [e for s in held.sellers(books) for e in ledger.opening(books[s])]


def opening(seller: int, orders: list[int], payable: int = 0, pending: int = 0) -> ledger.Opening:
    return ledger.Opening(
        seller * 10,
        tuple(ledger.OpenOrder(seller * 1000 + i, f"N{seller}-{i}", amount)
              for i, amount in enumerate(orders)),
        pending, payable,
    )  # fmt: skip


BOOKS = {s: opening(s, [100 * s + i for i in range(1, 5)], payable=7 * s) for s in (1, 2, 3)}


def after(books: Books, held: staging.Staged, db: Transaction, changed: Books) -> int:
    """Stage `books`' entries, put them right for `changed`: what the pause posted."""
    plan = held.plan(changed)
    posted = held.restage(plan)
    assert db.entries == wanted(held, changed)
    return posted


def test_nothing_changed_posts_nothing() -> None:
    held, db = staged(BOOKS)
    db.posted = 0
    assert after(BOOKS, held, db, dict(BOOKS)) == 0 and db.posted == 0


def test_a_change_to_the_last_seller_reposts_from_the_savepoint_before_it_only() -> None:
    held, db = staged(BOOKS)
    books = BOOKS | {3: opening(3, [301, 302, 999, 304], payable=21)}  # its third order
    posted = after(BOOKS, held, db, books)
    assert 0 < posted <= 3 + 1  # from the chunk holding it: at most a chunk and the balance
    assert db.entries[:10] == wanted(held, BOOKS)[:10]  # sellers 1 and 2 never re-posted


def test_a_seller_behind_in_the_log_is_staged_last_so_its_change_reposts_little() -> None:
    held, db = staged(BOOKS, last=(1,))
    assert held.sellers(BOOKS) == [2, 3, 1]
    books = BOOKS | {1: opening(1, [101, 102, 103], payable=8)}  # an order completed
    assert after(BOOKS, held, db, books) <= 4


def test_a_new_entry_after_every_staged_one_is_only_added() -> None:
    before = BOOKS | {3: opening(3, [301, 302], payable=0)}
    held, db = staged(before)
    books = before | {3: opening(3, [301, 302], payable=40)}  # its first payable balance
    plan = held.plan(books)
    assert plan.mark is None  # nothing rolled back
    assert after(before, held, db, books) == 1


def test_a_giant_s_staging_keeps_under_postgresql_s_cached_subtransactions() -> None:
    giant = {1: opening(1, [5] * 20_000, payable=3)}
    held, db = staged(giant)
    assert len(db.entries) == 20_001
    assert len(db.savepoints) <= staging.MAX_SAVEPOINTS + 1 < 64
    books = giant | {1: opening(1, [5] * 19_999 + [6], payable=3)}  # its last order refunded
    assert after(giant, held, db, books) <= held.chunk + 1
    assert sum(sp.active for sp in db.savepoints) <= staging.MAX_SAVEPOINTS + 1


amounts = st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=7)
book = st.builds(lambda o, p: (o, p), amounts, st.integers(min_value=0, max_value=3))
books_of = st.dictionaries(st.integers(min_value=1, max_value=5), book, min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(books_of, st.data())
def test_whatever_changed_the_transaction_ends_holding_what_the_books_want(
    first: dict[int, tuple[list[int], int]], data: Any
) -> None:
    before = {s: opening(s, o, payable=p) for s, (o, p) in first.items()}
    changes = data.draw(st.dictionaries(st.sampled_from(sorted(first)), book))
    last = data.draw(st.lists(st.sampled_from(sorted(first)), unique=True))
    now = before | {s: opening(s, o, payable=p) for s, (o, p) in changes.items()}
    held, db = staged(before, tuple(last))
    posted = after(before, held, db, now)
    assert posted <= len(db.entries)
    assert len({e.ref for e in db.entries}) == len(db.entries)  # each entry once
