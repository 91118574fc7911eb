"""The copy's throttle: a copy capped at N rows a second takes at least rows / N seconds, on
SQLite and PostgreSQL, measured on an injected clock whose time passes only when the engine
waits (so the test sleeps for real not at all)."""

import time
from dataclasses import replace

from keranjang.migration.copy import Pace
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture  # noqa: F401

CAP = 40  # rows a second


class FakeTime:
    """A monotonic clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now, self.slept = 1_000.0, 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def test_a_copy_capped_at_n_rows_a_second_takes_at_least_rows_over_n_seconds(
    moving: Moving,
) -> None:
    fake = FakeTime()
    moving.parts.pace = Pace(batch_rows=25, slice_seconds=0.5, max_rows_per_second=CAP,
                             monotonic=fake.monotonic, sleep=fake.sleep)  # fmt: skip
    started = time.monotonic()

    slices = 0
    while moving.move().phase != Phase.CATCHING_UP:
        moving.mover.advance(moving.seller_id)
        slices += 1

    copied = moving.move().rows_copied
    assert copied > 5 * 25  # several batches, several slices
    assert fake.now - 1_000.0 >= copied / CAP - 1e-9
    assert fake.slept <= copied / CAP + 1e-6  # it waits no longer than the cap asks
    assert slices > 2
    assert time.monotonic() - started < 60  # the waiting was on the fake clock


def test_an_uncapped_copy_never_waits(moving: Moving) -> None:
    fake = FakeTime()
    moving.parts.pace = replace(Pace(batch_rows=25), monotonic=fake.monotonic, sleep=fake.sleep)
    moving.run(Phase.CATCHING_UP)
    assert fake.slept == 0.0
