"""What the engine learns from its recent pauses: the factor its predictions are scaled by (a
high quantile of measured over predicted, each batch's pause counted once), and the flip's cost
per merchant under a fence, the commits' round trips taken out, so a small fence does not make
every merchant look dearer."""

import json

from keranjang.migration import pause


def detail(pause_ms: float, predicted_ms: float, **more: object) -> str:
    return json.dumps({"pause_ms": pause_ms, "predicted_ms": predicted_ms} | more)


def test_each_pause_counts_once_however_many_merchants_its_batch_had() -> None:
    batch = detail(30, 20, batch=[1, 2, 3])
    assert pause.ratios([batch, batch, batch, detail(10, 10)]) == [1.5, 1.0]


def test_the_factor_is_a_high_quantile_of_the_ratios_within_bounds() -> None:
    assert pause.factor_of([]) == pause.DEFAULT_FACTOR
    assert pause.factor_of([1.0] * 8 + [3.0, 3.0]) == 3.0  # two slow in ten: the 90th percentile
    assert pause.factor_of([1.0] * 9 + [3.0]) == 1.0  # one outlier in ten is not
    assert pause.factor_of([0.5, 0.6]) == pause.MIN_FACTOR
    assert pause.factor_of([50.0]) == pause.MAX_FACTOR


def test_the_flip_per_merchant_leaves_out_the_commits_round_trips() -> None:
    # 20 merchants flipped in 14 ms, of which two commits of 2 ms each: 0.5 ms a merchant.
    big = detail(30, 25, batch=list(range(20)), steps_ms={"flip": 14.0}, trip_ms=2.0)
    # 3 merchants in 5.5 ms, 4 of them the commits: the same 0.5 ms, not 1.8.
    small = detail(12, 10, batch=[1, 2, 3], steps_ms={"flip": 5.5}, trip_ms=2.0)
    assert pause.flip_per_seller([big, small]) == 0.5


def test_the_shops_opened_count_per_merchant_and_the_entries_posted_in_the_pause_do_not() -> None:
    # 20 merchants: flip 14 ms (4 of them the commits), money 10 ms of which 3 entries posted
    # in the pause at 2 ms each: (14 - 4 + 10 - 6) / 20 = 0.7 ms a merchant.
    steps = {"flip": 14.0, "money": 10.0}
    restaged = detail(40, 30, batch=list(range(20)), steps_ms=steps, trip_ms=2.0,
                      entries={"staged": 90, "in_pause": 3}, ms_per_entry=2.0)  # fmt: skip
    assert pause.flip_per_seller([restaged]) == 0.7
    # Nothing posted in the pause: the whole money step is the shops' (0.5 + 0.5).
    opened = detail(40, 30, batch=list(range(20)), steps_ms=steps, trip_ms=2.0,
                    entries={"staged": 90, "in_pause": 0}, ms_per_entry=2.0)  # fmt: skip
    assert pause.flip_per_seller([opened]) == 1.0


def test_fences_too_small_to_tell_are_left_out_and_nothing_known_is_the_default() -> None:
    alone = detail(12, 10, steps_ms={"flip": 9.0}, trip_ms=1.0)
    assert pause.flip_per_seller([alone]) == pause.DEFAULT_FLIP_MS_PER_SELLER
    assert pause.flip_per_seller([]) == pause.DEFAULT_FLIP_MS_PER_SELLER
    quick = detail(12, 10, batch=[1, 2, 3, 4], steps_ms={"flip": 1.0}, trip_ms=1.0)
    assert pause.flip_per_seller([quick]) == pause.MIN_FLIP_MS_PER_SELLER


def test_pauses_predicted_at_a_few_ms_teach_no_factor() -> None:
    jitter = detail(12, 3, budget_ms=50)  # a commit's jitter on a fence of one
    significant = detail(24, 20, budget_ms=50)
    assert pause.ratios([jitter, significant]) == [1.2]
    assert pause.factor_of(pause.ratios([jitter])) == pause.DEFAULT_FACTOR
