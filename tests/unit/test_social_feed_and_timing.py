"""The pieces social's evidence stands on, without I/O: the feed's personalised order, the
feeds counted for the regulator, and a watched route's serving times (p95 by nearest rank,
within the window asked for)."""

from datetime import UTC, datetime, timedelta

from keranjang.infra.clock import FixedClock
from keranjang.infra.observability import RouteTimes, Timing
from keranjang.social import domain
from keranjang.social.viewers.personalisation import FeedsServed

T0 = datetime(2024, 3, 27, 9, tzinfo=UTC)


def content(content_id: int, creator_id: int) -> domain.Content:
    creator = domain.Creator(creator_id, f"c{creator_id}", f"C{creator_id}", True)
    return domain.Content(
        content_id, creator, domain.ContentKind.VIDEO, f"t{content_id}", "", None, None, T0
    )


def test_the_creators_watched_most_come_first_newest_first_among_equals() -> None:
    newest_first = [content(5, 1), content(4, 2), content(3, 3), content(2, 2), content(1, 1)]
    ordered = domain.personalised_order(newest_first, {2: 3, 3: 3, 1: 1})
    assert [c.id for c in ordered] == [4, 3, 2, 5, 1]
    assert domain.personalised_order(newest_first, {}) == newest_first


def test_feeds_are_counted_in_the_window_and_an_ignored_opt_out_shows() -> None:
    served = FeedsServed()
    served.record(T0, personalised=True, opted_out=False)
    served.record(T0 + timedelta(hours=2), personalised=False, opted_out=True)
    served.record(T0 + timedelta(hours=2), personalised=True, opted_out=True)
    recent = served.since(T0 + timedelta(hours=1))
    assert (recent.personalised, recent.chronological) == (1, 1)
    assert recent.personalised_after_opt_out == 1


def test_serving_times_give_a_p95_that_was_really_taken_within_the_window() -> None:
    clock = FixedClock(T0)
    times = RouteTimes(clock.now)
    times.record(9.0)  # an hour before the window
    clock.advance(hours=1)
    for ms in range(1, 101):  # 1 ms .. 100 ms
        times.record(ms / 1000)
    assert times.since(T0 + timedelta(minutes=30)) == Timing(100, 95.0)
    assert times.since(T0) == Timing(101, 96.0)
    assert times.since(T0 + timedelta(hours=2)) == Timing(0, None)
