"""The plan and the workers, against a fake engine that records who moved what: the plan puts the
largest sellers first and never reorders; workers never take the same merchant; a stalled
worker's merchant is taken over; a seller who has not confirmed waits; a failure is recorded and
tried again; the throttle caps rows per second; progress snapshots are written."""

import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import FixedClock, SystemClock
from keranjang.infra.database import make_engine, session_factory, transaction
from keranjang.migration import plan as planning
from keranjang.migration.config import MigrationSettings
from keranjang.migration.journal import EventRow, MoveRow, SnapshotRow
from keranjang.migration.phases import Phase
from keranjang.migration.service import MigrationService, Parts
from keranjang.migration.workers import Journal, Pool, Rules, RunSpec, Worker, share, supervise
from tests.integration.migration_fakes import (
    NEXT,
    T0,
    FakeMover,
    phases,
    plan_sellers,
    postgres_only,
)
from tests.integration.migration_fakes import journal_engine as journal_engine
from tests.integration.migration_fakes import sessions as sessions


def test_the_plan_puts_the_largest_sellers_first_and_replanning_never_reorders(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 500, 2: 9_000, 3: 9_000, 4: 0, 5: 70_000})
    with sessions() as s:
        order = list(s.scalars(select(MoveRow.seller_id).order_by(MoveRow.rank)))
        assert order == [5, 2, 3, 1, 4]
        s.execute(text("UPDATE moves SET phase = 'copying' WHERE seller_id = 2"))
        s.commit()
    # Later: seller 1 sold a lot, 2 is under way, 6 and 7 opened.
    sizes = [planning.SellerSize(s, idr, 20) for s, idr in {1: 99_000, 2: 1, 6: 5, 7: 50}.items()]
    with transaction(sessions) as s:
        report = planning.plan(s, sizes, T0, dry_run=False)
    assert [m.seller_id for m in report.added] == [7, 6]
    with sessions() as s:
        rows = list(s.scalars(select(MoveRow).order_by(MoveRow.rank)))
        events = s.scalar(select(func.count()).where(EventRow.what == "planned"))
    assert [r.seller_id for r in rows] == [5, 2, 3, 1, 4, 7, 6]
    assert {r.seller_id: r.sales_idr for r in rows}[1] == 99_000  # not started: refreshed
    assert {r.seller_id: r.sales_idr for r in rows}[2] == 9_000  # under way: left alone
    assert events == 7


def test_a_dry_run_plan_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        report = planning.plan(s, [planning.SellerSize(1, 5, 1)], T0, dry_run=True)
    assert [m.seller_id for m in report.added] == [1]
    assert phases(sessions) == {}


def test_two_workers_never_take_the_same_merchant(
    journal_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    postgres_only(journal_engine)
    plan_sellers(sessions, {s: 1_000 * s for s in range(1, 13)})
    mover = FakeMover(sessions, work=0.01)
    journal = Journal(sessions, SystemClock(), Rules())
    workers = [Worker(f"w{i}", journal, mover, idle_seconds=0.02) for i in range(2)]
    threads = [threading.Thread(target=w.run, name=w.name) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while journal.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    for w in workers:
        w.stop.set()
    for t in threads:
        t.join()
    assert mover.overlaps == []
    assert set(phases(sessions).values()) == {Phase.VERIFIED}
    steps = [(seller, to) for _, seller, to in mover.moved]
    assert len(steps) == len(set(steps)) == 12 * 5  # every phase of every merchant, once
    assert {who for who, _, _ in mover.moved} == {"w0", "w1"}
    for seller in range(1, 13):  # one worker carried each merchant through
        assert len({who for who, s, _ in mover.moved if s == seller}) == 1


def process_mover(settings: MigrationSettings) -> FakeMover:
    """The mover of a worker process: notes each step as an event, with the worker the journal
    says holds the merchant, and refuses to move a merchant another process holds."""
    sessions = session_factory(make_engine(settings.resolved_database_url))
    me = f"{socket.gethostname()[:50]}:{os.getpid()}:"

    class Noting(FakeMover):
        def _step(self, seller_id: int) -> Phase:
            with sessions() as s:
                holder = s.scalar(select(MoveRow.worker).where(MoveRow.seller_id == seller_id))
            phase = super()._step(seller_id)
            with transaction(sessions) as s:
                what = "step" if (holder or "").startswith(me) else "step_not_held"
                s.add(EventRow(seller_id=seller_id, phase=phase.value, what=what, detail="{}",
                               actor=holder or "", at=datetime.now(UTC)))  # fmt: skip
            return phase

    return Noting(sessions, work=0.02)


def test_worker_processes_share_the_plan_and_only_the_lease_holder_moves_a_merchant(
    journal_engine: Engine, sessions: sessionmaker[Session], tmp_path
) -> None:
    postgres_only(journal_engine)
    plan_sellers(sessions, {s: 10 * s for s in range(1, 9)})
    url = journal_engine.url.render_as_string(hide_password=False)
    settings = MigrationSettings(data_dir=tmp_path, database_url=url)
    spec = RunSpec(settings, workers=2, factory=f"{__name__}:process_mover", processes=True)
    journal = Journal(sessions, SystemClock(), spec.rules)
    supervise(Pool(spec), journal, tick=lambda: None, poll=0.1)
    assert set(phases(sessions).values()) == {Phase.VERIFIED}
    with sessions() as s:
        query = select(EventRow.seller_id, EventRow.phase, EventRow.what)
        steps = s.execute(query.where(EventRow.what != "planned")).all()
    assert {what for _, _, what in steps} == {"step"}
    assert len(steps) == len({(seller, phase) for seller, phase, _ in steps}) == 8 * 5


def test_a_stalled_workers_merchant_is_taken_over_when_its_lease_lapses(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 100})
    clock = FixedClock(T0)
    journal = Journal(sessions, clock, Rules(lease=timedelta(seconds=30)))
    stalled = journal.claim("stalled")
    assert stalled is not None and stalled.seller_id == 1
    assert journal.claim("other") is None  # held: nobody else takes it
    clock.advance(seconds=29)
    assert journal.renew(1, "stalled")  # a live worker keeps it
    clock.advance(seconds=31)
    mover = FakeMover(sessions)
    assert Worker("other", journal, mover).run_once()  # takes it over, and moves it
    assert [(who, seller) for who, seller, _ in mover.moved] == [("MainThread", 1)] * 5
    assert not journal.renew(1, "stalled")  # the stalled worker learns it lost the merchant
    # The stalled worker wakes up and lets go: it cannot release what it no longer holds.
    from keranjang.migration.workers import Outcome

    journal.release(1, "stalled", Outcome(None, clock.now() + timedelta(hours=1), "late"))
    with sessions() as s:
        row = s.get(MoveRow, 1)
        assert row is not None and row.error is None


def test_a_seller_who_has_not_confirmed_waits_and_the_others_move(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 300, 2: 200})
    mover = FakeMover(sessions)
    mover.unconfirmed = {1}
    clock = FixedClock(T0)
    journal = Journal(sessions, clock, Rules())
    worker = Worker("w", journal, mover)
    while worker.run_once():
        pass
    assert phases(sessions) == {1: Phase.PLANNED, 2: Phase.VERIFIED}
    assert journal.pending() == 0  # the run is over; the seller waits for its confirmation
    with sessions() as s:
        waiting = s.get(MoveRow, 1)
        assert waiting is not None and waiting.attempts == 0
        assert waiting.lease_until == T0 + Rules().wait_for_consent
    # An operator forces it, with a reason: it moves on the next run.
    service = MigrationService(Parts(sessions, clock, mover=mover))
    forced = service.force(1, "operator:cli", "the seller asked by phone")
    assert forced.forced
    while worker.run_once():
        pass
    assert phases(sessions)[1] is Phase.VERIFIED


def test_a_failing_phase_is_recorded_tried_again_and_left_for_an_operator_after_five(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 100, 2: 50})
    mover = FakeMover(sessions)
    mover.failing = {1: 99}
    clock = FixedClock(T0)
    journal = Journal(sessions, clock, Rules())
    worker = Worker("w", journal, mover)
    for _ in range(5):
        while worker.run_once():
            pass
        clock.advance(seconds=11)
    with sessions() as s:
        row = s.get(MoveRow, 1)
        assert row is not None
        assert (row.phase, row.attempts) == ("planned", 5)
        assert row.error == "MigrationError: commerce refused the merchant's slug"
    assert phases(sessions)[2] is Phase.VERIFIED
    assert journal.pending() == 0


def test_an_abandoned_cutover_is_tried_again_soon(sessions: sessionmaker[Session]) -> None:
    plan_sellers(sessions, {1: 100})
    mover = FakeMover(sessions)
    mover.over_budget = {1: 1}
    clock = FixedClock(T0)
    journal = Journal(sessions, clock, Rules())
    worker = Worker("w", journal, mover)
    assert worker.run_once()
    assert phases(sessions)[1] is Phase.CATCHING_UP
    assert journal.pending() == 1 and not worker.run_once()  # not before two seconds
    clock.advance(seconds=3)
    assert worker.run_once()
    assert phases(sessions)[1] is Phase.VERIFIED


def test_the_rows_per_second_cap_is_shared_among_the_workers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    capped = MigrationSettings(data_dir=tmp_path, max_rows_per_second=10_000)
    assert share(capped, 4).max_rows_per_second == 2_500  # four engines pace to 2,500 each
    assert share(capped, 1).max_rows_per_second == 10_000
    assert share(capped, 20_000).max_rows_per_second == 1
    free = MigrationSettings(data_dir=tmp_path)
    assert share(free, 4).max_rows_per_second == 0  # no cap stays no cap


def test_a_rolled_back_merchant_moves_again_only_when_named(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 100})
    mover = FakeMover(sessions)
    clock = FixedClock(T0)
    assert Worker("w", Journal(sessions, clock, Rules()), mover).run_once()
    mover.rollback(1, "operator:cli", "the seller asked")
    assert not Worker("w", Journal(sessions, clock, Rules()), mover).run_once()
    mover_again = FakeMover(sessions)
    NEXT[Phase.ROLLED_BACK] = Phase.BOUND
    try:
        assert Worker("w", Journal(sessions, clock, Rules(only=1)), mover_again).run_once()
    finally:
        del NEXT[Phase.ROLLED_BACK]
    assert phases(sessions)[1] is Phase.VERIFIED


def test_snapshots_record_progress_for_the_regulator(sessions: sessionmaker[Session]) -> None:
    plan_sellers(sessions, {1: 900, 2: 100})
    clock = FixedClock(T0)
    mover = FakeMover(sessions)
    service = MigrationService(Parts(sessions, clock, mover=mover))
    assert service.snapshot() is not None
    assert service.snapshot(every=timedelta(minutes=1)) is None  # one a period is enough
    worker = Worker("w", Journal(sessions, clock, Rules(only=1)), mover)
    worker.run_once()
    clock.advance(minutes=10)
    later = service.snapshot(every=timedelta(minutes=1))
    assert later is not None
    assert later.payment_bp == 9_000 and later.merchants_moved == 1
    assert later.rows_per_second == pytest.approx(20 / 600)
    assert later.eta is not None and later.eta > clock.now()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SnapshotRow)) == 2
    status = service.status()
    assert status.phases[Phase.VERIFIED] == 1 and status.phases[Phase.PLANNED] == 1


def test_the_plan_reads_the_legacy_shops_sellers_and_their_sales(
    database_url: Callable[[str], str], sessions: sessionmaker[Session]
) -> None:
    from keranjang.social.legacy_shop.generator import seeding
    from keranjang.social.legacy_shop.generator.plan import Size

    social = make_engine(database_url("social"))
    try:
        seeding.migrate(social)
        request = seeding.SeedRequest(Size(8, 3, 20, 120, seed=7), b"k" * 32, T0)
        seeding.seed(social, request, lambda _n: None)
        service = MigrationService(Parts(sessions, FixedClock(T0), social=social))
        report = service.plan()
        with social.connect() as c:
            sales = dict(
                c.execute(
                    text(
                        "SELECT s.id, COALESCE(SUM(o.total_idr), 0) FROM legacy_sellers s "
                        "LEFT JOIN legacy_orders o ON o.seller_id = s.id AND o.status IN "
                        "('paid', 'shipped', 'delivered', 'completed') GROUP BY s.id"
                    )
                ).all()
            )
            products = c.execute(text("SELECT COUNT(*) FROM legacy_products")).scalar()
    finally:
        social.dispose()
    expected = sorted(sales, key=lambda s: (-sales[s], s))
    assert [m.seller_id for m in report.added] == expected
    assert [m.sales_idr for m in report.added] == [sales[s] for s in expected]
    assert sum(m.rows for m in report.added) > 8 + (products or 0)
    assert service.plan().added == ()  # planning again adds nothing
    assert [m.seller_id for m in service.merchants()] == expected
