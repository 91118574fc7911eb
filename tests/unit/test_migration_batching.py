"""Which merchants of a batch predicted over the pause budget cut over first: those that fit the
budget together, in seller order, never none (the first goes even alone), and the whole batch
when it fits."""

from keranjang.migration.cutover import Prediction


def prediction(lags: dict[int, int], orders: dict[int, int], fixed_ms: float) -> Prediction:
    """A batch's prediction at 1 ms per change and 2 ms per opening entry (each open order's,
    and each merchant's own), plus `fixed_ms`."""
    lag, open_orders = sum(lags.values()), sum(orders.values())
    entries = open_orders + len(lags)
    ms = fixed_ms + lag * 1.0 + entries * 2.0
    return Prediction(lag, open_orders, ms, entries * 2.0, 2.0, lags, orders)


def test_the_merchants_that_fit_the_budget_together_cut_over_first() -> None:
    p = prediction({1: 10, 2: 10, 3: 10}, {1: 5, 2: 5, 3: 5}, fixed_ms=5)
    assert p.ms == 71  # 5, and each merchant 10 changes and 6 entries (5 orders, its own)
    assert p.within(50, 1.0) == [1, 2]  # 5 + 22 + 22 = 49; the third would make 71
    assert p.within(100, 1.0) == [1, 2, 3]


def test_a_first_merchant_over_budget_alone_still_goes_first() -> None:
    p = prediction({7: 80, 8: 1}, {7: 0, 8: 0}, fixed_ms=5)
    assert p.within(50, 1.0) == [7]


def test_a_batch_over_budget_is_divided_into_groups_that_each_fit_under_a_fence_of_their_own() -> (
    None
):
    lags = {1: 10, 2: 10, 3: 10, 4: 30, 5: 2, 6: 2}
    p = prediction(lags, dict.fromkeys(lags, 5), fixed_ms=5)
    # Each group pays the fixed 5 ms again: 5+22+22 | 5+22, then 4 (42) alone, | 5+14+14.
    assert p.groups(50, 1.0) == [[1, 2], [3], [4], [5, 6]]
    assert [s for g in p.groups(50, 1.0) for s in g] == sorted(lags)  # each seller once
    assert p.groups(1_000, 1.0) == [sorted(lags)]


def test_a_merchant_over_budget_alone_is_a_group_of_its_own_and_the_others_go_on() -> None:
    p = prediction({7: 80, 8: 1, 9: 1}, {7: 0, 8: 0, 9: 0}, fixed_ms=5)
    assert p.groups(50, 1.0) == [[7], [8, 9]]
    p = prediction({7: 1, 8: 80, 9: 1}, {7: 0, 8: 0, 9: 0}, fixed_ms=5)
    assert p.groups(50, 1.0) == [[7], [8], [9]]
