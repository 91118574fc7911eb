"""`migrate run` interrupted (SIGTERM, or Ctrl-C's SIGINT): the workers finish the step they are
in, take no other and let their merchants go; the run says it was stopped; a later run goes on
from the journal and moves everything."""

import os
import signal
import threading

from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import SystemClock
from keranjang.migration.config import MigrationSettings
from keranjang.migration.journal import MoveRow
from keranjang.migration.phases import Phase
from keranjang.migration.workers import Journal, Pool, Rules, RunSpec, supervise
from tests.integration.migration_fakes import (  # noqa: F401
    FakeMover,
    journal_engine,
    phases,
    plan_sellers,
)
from tests.integration.migration_fakes import sessions as sessions

MOVERS: list[FakeMover] = []


def slow_engine(settings: MigrationSettings) -> FakeMover:
    from keranjang.infra.database import make_engine, session_factory

    mover = FakeMover(session_factory(make_engine(settings.resolved_database_url)), work=0.05)
    MOVERS.append(mover)
    return mover


def test_sigterm_stops_the_run_between_steps_and_a_later_run_goes_on(
    sessions: sessionmaker[Session],
) -> None:
    plan_sellers(sessions, {seller: 1_000 - seller for seller in range(1, 41)})  # 10 batches
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = MigrationSettings(database_url=url)
    journal = Journal(sessions, SystemClock(), Rules(batch_size=4))
    spec = RunSpec(settings, 1, journal.rules, f"{__name__}:slow_engine", processes=False)
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM)).start()

    assert supervise(Pool(spec), journal, lambda: None, poll=0.05) == "SIGTERM"

    left = phases(sessions)
    assert 0 < sum(p is Phase.VERIFIED for p in left.values()) < 40  # stopped part way
    assert sum(p is Phase.PLANNED for p in left.values()) > 0
    with sessions() as s:
        assert all(m.worker is None and m.error is None for m in s.query(MoveRow))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler put back
    assert supervise(Pool(spec), journal, lambda: None, poll=0.05) is None
    assert set(phases(sessions).values()) == {Phase.VERIFIED}
    assert not any(m.overlaps for m in MOVERS)
