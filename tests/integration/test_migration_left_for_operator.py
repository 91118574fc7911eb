"""A merchant whose cutover never fits the pause budget, against the fake engine, on SQLite and
PostgreSQL: after five abandons in a row (its own: alone under the fence) a run stops trying it
and ends, the journal says so once, the operator's status, page and JSON list it with the
command to run, and that command (`run --only`) tries it again from a count of zero. Being left
for the next round by a batch is not counted against a merchant."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import FixedClock, SystemClock
from keranjang.migration.config import MigrationSettings
from keranjang.migration.journal import EventRow, MoveRow
from keranjang.migration.phases import Phase
from keranjang.migration.service import MigrationService, Parts
from keranjang.migration.workers import Journal, Pool, Rules, RunSpec, Worker, supervise
from tests.integration.migration_fakes import T0, FakeMover, phases, plan_sellers
from tests.integration.migration_fakes import journal_engine as journal_engine
from tests.integration.migration_fakes import sessions as sessions
from tests.integration.test_migration_service import Service, op, sign_in
from tests.integration.test_migration_service import migration as migration

NEVER_FITS = 2
ALWAYS = 10**6


def run_to_the_end(worker: Worker, clock: FixedClock, rounds: int = 100) -> int:
    """What `migrate run` does with one worker, the clock moved on while nothing is ready: the
    rounds it took until the journal had nothing left for the run."""
    for done in range(rounds):
        while worker.run_once():
            pass
        if worker.journal.pending() == 0:
            return done
        clock.advance(seconds=3)
    raise AssertionError(
        f"the run did not end in {rounds} rounds: {phases(worker.journal.sessions)}"
    )


def events(sessions: sessionmaker[Session], seller_id: int, what: str) -> list[EventRow]:
    with sessions() as s:
        query = select(EventRow).where(EventRow.seller_id == seller_id, EventRow.what == what)
        return list(s.scalars(query.order_by(EventRow.id)))


def move(sessions: sessionmaker[Session], seller_id: int) -> MoveRow:
    with sessions() as s:
        return s.get_one(MoveRow, seller_id)


def test_a_merchant_that_never_fits_is_left_for_the_operator_and_the_run_ends(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 300, NEVER_FITS: 200, 3: 100})
    mover = FakeMover(sessions)
    mover.over_budget = {NEVER_FITS: ALWAYS}
    clock = FixedClock(T0)
    journal = Journal(sessions, clock, Rules())
    run_to_the_end(Worker("w", journal, mover), clock)

    assert phases(sessions) == {1: Phase.VERIFIED, NEVER_FITS: Phase.CATCHING_UP, 3: Phase.VERIFIED}
    left = move(sessions, NEVER_FITS)
    assert (left.abandons, left.attempts, left.error) == (5, 0, None)  # abandons, not failures
    assert left.left_at is not None
    assert len(events(sessions, NEVER_FITS, "left_for_operator")) == 1
    assert ALWAYS - mover.over_budget[NEVER_FITS] == 5  # tried five times, then no more
    assert journal.claim("w") is None and journal.pending() == 0

    service = MigrationService(Parts(sessions, clock, mover=mover))
    [listed] = service.left_for_operator()
    assert (listed.seller_id, listed.abandons, listed.predicted_ms, listed.budget_ms) == (
        NEVER_FITS, 5, 80, 50,
    )  # fmt: skip
    assert service.merchant(NEVER_FITS).left == listed


def test_the_operator_tries_it_again_with_its_count_from_zero(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {NEVER_FITS: 200})
    mover = FakeMover(sessions)
    mover.over_budget = {NEVER_FITS: ALWAYS}
    clock = FixedClock(T0)
    run_to_the_end(Worker("w", Journal(sessions, clock, Rules(max_abandons=2)), mover), clock)
    assert move(sessions, NEVER_FITS).left_at is not None

    again = Journal(sessions, clock, Rules(only=NEVER_FITS))
    assert again.pending() == 0  # named, but not tried before the operator says so
    assert again.retry(NEVER_FITS, "operator:cli", 100)
    retried = move(sessions, NEVER_FITS)
    assert (retried.abandons, retried.left_at, retried.lease_until) == (0, None, None)
    [said] = events(sessions, NEVER_FITS, "retried")
    assert said.actor == "operator:cli" and '"budget_ms": 100' in said.detail
    assert again.pending() == 1
    mover.over_budget = {NEVER_FITS: 1}  # the larger budget: one more abandon, then it fits
    run_to_the_end(Worker("w", again, mover), clock)
    assert phases(sessions) == {NEVER_FITS: Phase.VERIFIED}
    assert move(sessions, NEVER_FITS).abandons == 0  # a cutover starts the count again
    assert not again.retry(NEVER_FITS, "operator:cli", 100)  # nothing to reset any more


def test_being_left_for_the_next_round_is_never_counted_as_an_abandon(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {1: 100})
    mover = FakeMover(sessions)
    mover.left_behind = {1: 12}  # more rounds than max_abandons, never its own try
    clock = FixedClock(T0)
    run_to_the_end(Worker("w", Journal(sessions, clock, Rules()), mover), clock)
    assert phases(sessions) == {1: Phase.VERIFIED}
    assert (move(sessions, 1).abandons, move(sessions, 1).left_at) == (0, None)
    assert events(sessions, 1, "left_for_operator") == []


def never_fitting(settings: MigrationSettings) -> FakeMover:
    from keranjang.infra.database import make_engine, session_factory

    mover = FakeMover(session_factory(make_engine(settings.resolved_database_url)))
    mover.over_budget = {NEVER_FITS: ALWAYS}
    return mover


def test_a_run_of_workers_ends_with_the_merchant_left(
    journal_engine, sessions: sessionmaker[Session], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    plan_sellers(sessions, {1: 300, NEVER_FITS: 200, 3: 100})
    url = journal_engine.url.render_as_string(hide_password=False)
    settings = MigrationSettings(data_dir=tmp_path, database_url=url)
    rules = Rules(after_abandoned_cutover=timedelta(milliseconds=10), max_abandons=3)
    spec = RunSpec(settings, 1, rules, f"{__name__}:never_fitting", processes=False)
    journal = Journal(sessions, SystemClock(), rules)
    assert supervise(Pool(spec), journal, tick=lambda: None, poll=0.05) is None
    assert phases(sessions)[NEVER_FITS] is Phase.CATCHING_UP
    assert {phases(sessions)[s] for s in (1, 3)} == {Phase.VERIFIED}
    assert move(sessions, NEVER_FITS).abandons == 3
    assert journal.pending() == 0


def test_the_operators_page_and_json_list_the_move_with_the_command(migration: Service) -> None:
    c = migration.client
    c.post("/api/plan", headers=op())
    migration.mover.over_budget = {NEVER_FITS: ALWAYS}
    journal = Journal(migration.service.parts.journal, migration.clock, Rules())
    run_to_the_end(Worker("w", journal, migration.mover), migration.clock)

    listed = c.get("/api/left-for-operator", headers=op())
    assert listed.status_code == 200, listed.text
    [left] = listed.json()["moves"]
    assert left["seller_id"] == NEVER_FITS and left["abandons"] == 5
    assert (left["predicted_pause_ms"], left["budget_ms"]) == (80, 50)
    command = f"keranjang migrate run --only {NEVER_FITS} --pause-budget-ms 80"
    assert left["command"] == command
    assert c.get("/api/left-for-operator").status_code == 401

    sign_in(c)
    page = c.get("/")
    assert "Ditinggalkan untuk operator" in page.text and command in page.text
    merchant = c.get(f"/merchants/{NEVER_FITS}")
    assert "dibatalkan 5\u00d7 berturut-turut" in merchant.text and command in merchant.text
    english = c.get(f"/merchants/{NEVER_FITS}?lang=en")
    assert "abandoned 5\u00d7 in a row" in english.text
