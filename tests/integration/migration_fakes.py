"""A fake migration engine for the workers', the service's and the command line's tests, and the
journal they share: `FakeMover` moves a merchant one phase a call in the journal, as the engine
would, and records who moved what (and which calls overlapped); it can refuse (a seller not
confirmed), fail, or abandon a cutover over the pause budget, counting the abandon on the move
as the engine does."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra import schema
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.migration import plan as planning
from keranjang.migration.errors import IllegalPhase, MigrationError, NotConfirmed, OverBudget
from keranjang.migration.journal import MIGRATIONS, MoveRow
from keranjang.migration.phases import Phase

NEXT = {
    Phase.PLANNED: Phase.BOUND,
    Phase.BOUND: Phase.COPYING,
    Phase.COPYING: Phase.CATCHING_UP,
    Phase.CATCHING_UP: Phase.CUT_OVER,
    Phase.CUT_OVER: Phase.VERIFIED,
}
T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)


class FakeMover:
    """Moves a merchant one phase a call in the journal, as the engine would, and notes every
    call: which worker made it, and whether another call for the same merchant was under way."""

    def __init__(self, sessions: sessionmaker[Session], work: float = 0.0) -> None:
        self.sessions, self.work = sessions, work
        self.moved: list[tuple[str, int, Phase]] = []
        self.purged_by: list[tuple[int, str | None]] = []
        self.overlaps: list[int] = []
        self.unconfirmed: set[int] = set()
        self.failing: dict[int, int] = {}  # seller -> calls that fail
        self.over_budget: dict[int, int] = {}  # seller -> cutovers abandoned, alone
        self.left_behind: dict[int, int] = {}  # seller -> rounds a batch leaves it for the next
        self._busy: set[int] = set()
        self._lock = threading.Lock()

    def advance(self, seller_id: int) -> Phase:
        with self._lock:
            if seller_id in self._busy:
                self.overlaps.append(seller_id)
            self._busy.add(seller_id)
        try:
            time.sleep(self.work)
            return self._step(seller_id)
        finally:
            with self._lock:
                self._busy.discard(seller_id)

    def advance_batch(self, seller_ids: list[int]) -> dict[int, Phase | MigrationError]:
        """A batch, as the engine answers one: each seller's phase, or why it did not go on."""
        results: dict[int, Phase | MigrationError] = {}
        for seller_id in seller_ids:
            try:
                results[seller_id] = self.advance(seller_id)
            except MigrationError as exc:
                results[seller_id] = exc
        return results

    def _step(self, seller_id: int) -> Phase:
        refused = self._cutover_refused(seller_id)
        if refused is not None:
            raise refused
        with transaction(self.sessions) as s:
            row = s.get(MoveRow, seller_id)
            assert row is not None
            phase = Phase(row.phase)
            if phase is Phase.PLANNED and seller_id in self.unconfirmed and not row.forced_reason:
                raise NotConfirmed(f"seller {seller_id} has not confirmed the move")
            if self.failing.get(seller_id, 0) > 0:
                self.failing[seller_id] -= 1
                raise MigrationError("commerce refused the merchant's slug")
            target = NEXT[phase]
            row.phase = target.value
            if target is Phase.CATCHING_UP:
                row.rows_copied = row.rows_total
            if target is Phase.CUT_OVER:
                row.abandons, row.left_at = 0, None
            if target is Phase.VERIFIED:
                row.rows_verified = row.rows_total
            row.updated_at = datetime.now(UTC)
        self.moved.append((threading.current_thread().name, seller_id, target))
        return target

    def _cutover_refused(self, seller_id: int) -> OverBudget | None:
        """A cutover abandoned with the seller alone (counted on its move, as the engine counts
        it, in a transaction of its own), or the seller left for the next round (not counted)."""
        with transaction(self.sessions) as s:
            row = s.get(MoveRow, seller_id)
            assert row is not None
            if row.phase != Phase.CATCHING_UP.value:
                return None
            if self.left_behind.get(seller_id, 0) > 0:
                self.left_behind[seller_id] -= 1
                return OverBudget("left for the next round: predicted 80 ms", left=True)
            if self.over_budget.get(seller_id, 0) <= 0:
                return None
            self.over_budget[seller_id] -= 1
            row.abandons += 1
            row.predicted_pause_ms, row.abandoned_budget_ms = 80, 50
            return OverBudget("predicted pause 80 ms, budget 50 ms")

    def rollback(self, seller_id: int, actor: str, reason: str) -> Phase:
        with self.sessions() as s:
            row = s.get(MoveRow, seller_id)
            if row is None or row.phase not in ("cut_over", "verified"):
                raise IllegalPhase(f"seller {seller_id} is not in commerce: nothing to roll back")
        return self._set(seller_id, Phase.ROLLED_BACK)

    def purge(self, seller_id: int, actor: str | None = None) -> Phase:
        self.purged_by.append((seller_id, actor))
        return self._set(seller_id, Phase.PURGED)

    def _set(self, seller_id: int, phase: Phase) -> Phase:
        with transaction(self.sessions) as s:
            row = s.get(MoveRow, seller_id)
            assert row is not None
            row.phase = phase.value
            if phase is Phase.PURGED:
                row.rows_purged = row.rows_total
        return phase


@pytest.fixture
def journal_engine(database_url: Callable[[str], str]) -> Iterator[Engine]:
    engine = make_engine(database_url("migration"))
    schema.upgrade(MIGRATIONS, engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(journal_engine: Engine) -> sessionmaker[Session]:
    return session_factory(journal_engine)


def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL; SQLite runs one")


def plan_sellers(sessions: sessionmaker[Session], sales: dict[int, int]) -> None:
    sizes = [planning.SellerSize(s, idr, 10) for s, idr in sales.items()]
    with transaction(sessions) as s:
        planning.plan(s, sizes, T0, dry_run=False)


def phases(sessions: sessionmaker[Session]) -> dict[int, Phase]:
    with sessions() as s:
        return {r.seller_id: Phase(r.phase) for r in s.scalars(select(MoveRow))}
