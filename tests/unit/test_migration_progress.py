"""Progress per category and overall, as the regulator reads it, and the throughput and ETA an
operator plans with."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang.migration.phases import Phase
from keranjang.migration.progress import (
    FULL,
    MerchantFigures,
    Point,
    Weights,
    figures_of_phase,
    progress,
    throughput,
)

T0 = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)


def merchant(phase: Phase, sales: int, rows: tuple[int, int, int, int]) -> MerchantFigures:
    return figures_of_phase(phase, 1, sales, rows)


def test_the_ministrys_14_march_2024_reading_is_87_to_88_percent() -> None:
    """Payment weighs 60 %, merchant operations are done, data and payment are each 6 points
    (of the overall 100) short of done: 54 of 60 and 14 of 20, so overall 88 % at most."""
    # As the ministry counted: every merchant onboarded (seller tools, payout account, pins),
    # 90 % of the sales transacting in commerce, 70 % of the rows' steps done.
    moved = MerchantFigures(1, 900, 900, 100, 100, 100, 10, 1, 1, 1)  # 210 of 300 row steps
    late = MerchantFigures(1, 100, 0, 0, 0, 0, 0, 1, 1, 1)
    reading = progress([moved, late], Weights(payment=60, data=20, operations=20))
    assert reading.payment_bp == 9_000
    assert reading.data_bp == 7_000
    assert reading.operations_bp == FULL
    assert 8_700 <= reading.overall_bp <= 8_800


def test_nothing_moved_is_zero_and_everything_purged_is_done() -> None:
    planned = [merchant(Phase.PLANNED, 5_000_000, (40, 0, 0, 0)) for _ in range(3)]
    assert progress(planned).overall_bp == 0
    purged = [merchant(Phase.PURGED, 5_000_000, (40, 40, 40, 40)) for _ in range(3)]
    done = progress(purged)
    assert (done.payment_bp, done.data_bp, done.operations_bp, done.overall_bp) == (FULL,) * 4
    assert done.merchants_moved == 3


def test_the_largest_seller_cut_over_moves_payment_by_its_share_of_sales() -> None:
    big = merchant(Phase.CUT_OVER, 8_000_000, (100, 100, 0, 0))
    small = [merchant(Phase.PLANNED, 500_000, (10, 0, 0, 0)) for _ in range(4)]
    reading = progress([big, *small])
    assert reading.payment_bp == 8_000
    # Operations: the big one has tools, payout account and pins; four have nothing yet.
    assert reading.operations_bp == 3 * FULL // 15


def test_a_bound_merchant_has_seller_tools_and_payout_account_but_not_its_pins() -> None:
    reading = progress([merchant(Phase.BOUND, 1_000, (10, 0, 0, 0))])
    assert reading.operations_bp == 2 * FULL // 3
    assert reading.payment_bp == 0


def test_a_rolled_back_merchant_counts_as_not_moved() -> None:
    reading = progress([merchant(Phase.ROLLED_BACK, 1_000, (10, 10, 10, 0))])
    assert reading.payment_bp == 0 and reading.operations_bp == 0
    assert reading.data_bp == 2 * FULL // 3


def test_weights_are_configurable_and_must_weigh_something() -> None:
    groups = [merchant(Phase.CUT_OVER, 1_000, (10, 10, 0, 0))]
    only_data = progress(groups, Weights(payment=0, data=1, operations=0))
    assert only_data.overall_bp == only_data.data_bp == FULL // 3
    with pytest.raises(ValueError):
        Weights(0, 0, 0)
    with pytest.raises(ValueError):
        Weights(-1, 50, 51)


def test_a_shop_that_never_sold_counts_payment_by_merchants() -> None:
    reading = progress(
        [merchant(Phase.CUT_OVER, 0, (1, 1, 0, 0)), merchant(Phase.PLANNED, 0, (1, 0, 0, 0))]
    )
    assert reading.payment_bp == FULL // 2


figures = st.builds(
    MerchantFigures,
    merchants=st.integers(0, 10_000),
    sales_idr=st.integers(0, 10**13),
    moved_sales_idr=st.integers(0, 10**13),
    rows_total=st.integers(0, 10**9),
    rows_copied=st.integers(0, 10**9),
    rows_verified=st.integers(0, 10**9),
    rows_purged=st.integers(0, 10**9),
    bound=st.integers(0, 10_000),
    payout_account=st.integers(0, 10_000),
    pins_moved=st.integers(0, 10_000),
)
weights = st.builds(Weights, st.integers(0, 100), st.integers(0, 100), st.integers(1, 100))


@given(st.lists(figures, max_size=20), weights)
def test_progress_stays_within_0_and_100_whatever_the_journal_says(groups, w) -> None:  # type: ignore[no-untyped-def]
    reading = progress(groups, w)
    for bp in (reading.payment_bp, reading.data_bp, reading.operations_bp, reading.overall_bp):
        assert 0 <= bp <= FULL
    assert min(reading.payment_bp, reading.data_bp, reading.operations_bp) <= reading.overall_bp
    assert reading.overall_bp <= max(reading.payment_bp, reading.data_bp, reading.operations_bp)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Phase)),
            st.integers(0, 10**10),
            st.integers(0, 1000),
            st.integers(0, 1000),
        ),
        max_size=30,
    )
)
def test_moving_a_merchant_further_never_lowers_progress(moves) -> None:  # type: ignore[no-untyped-def]
    before = [merchant(Phase.PLANNED, s, (t, 0, 0, 0)) for _, s, t, _ in moves]
    after = [merchant(Phase.PURGED, s, (t, t, t, t)) for _, s, t, _ in moves]
    assert progress(before).overall_bp <= progress(after).overall_bp


def points(*readings: tuple[float, int, int, float]) -> list[Point]:
    return [Point(T0 + timedelta(minutes=m), bp, moved, rps) for m, bp, moved, rps in readings]


def test_the_eta_follows_the_recent_rate_not_the_average_since_the_start() -> None:
    # A fast first hour (the largest merchants), then 10 basis points a minute.
    history = points((0, 0, 0, 0.0), (60, 6_000, 10, 900.0), (90, 6_300, 40, 400.0))
    history += points((120, 6_600, 70, 400.0))
    rates = throughput(history, window=timedelta(minutes=45))
    assert rates.eta == T0 + timedelta(minutes=120 + 340)
    assert rates.merchants_per_hour == pytest.approx(60.0)
    assert rates.rows_per_second == pytest.approx(400.0)


def test_no_progress_in_the_window_gives_no_eta_and_done_gives_the_moment_it_finished() -> None:
    stalled = throughput(points((0, 5_000, 3, 0.0), (10, 5_000, 3, 0.0)))
    assert stalled.eta is None
    done = throughput(points((0, 9_000, 3, 10.0), (10, FULL, 4, 10.0)))
    assert done.eta == T0 + timedelta(minutes=10)
    assert throughput([]).eta is None
    assert throughput(points((0, 100, 0, 5.0))).rows_per_second == 5.0
