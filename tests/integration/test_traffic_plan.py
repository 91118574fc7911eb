"""The traffic driver's plan: the same seed gives the same steps, whatever the timing; the mix is
the one asked for; new prices and stock stay in bounds. And its journal: whole lines only."""

import json
from collections import Counter
from pathlib import Path

from keranjang.demo.traffic import plan
from keranjang.demo.traffic.journal import Entry, Journal, read
from keranjang.demo.traffic.plan import DEFAULT_MIX, Kind, Planner


def test_the_same_seed_plans_the_same_steps() -> None:
    assert Planner(7).steps(500) == Planner(7).steps(500)
    assert Planner(7).steps(500) != Planner(8).steps(500)


def test_steps_are_numbered_in_plan_order_and_follow_the_mix() -> None:
    steps = Planner(1).steps(5000)
    assert [s.op for s in steps] == list(range(1, 5001))
    counts = Counter(s.kind for s in steps)
    assert set(counts) == set(Kind)
    total = sum(DEFAULT_MIX.values())
    for kind, weight in DEFAULT_MIX.items():
        assert abs(counts[kind] / 5000 - weight / total) < 0.03, kind


def test_a_mix_can_ask_for_purchases_only() -> None:
    assert {s.kind for s in Planner(3, {Kind.BUY: 1}).steps(100)} == {Kind.BUY}


def test_a_new_price_is_within_ten_percent_and_never_the_same() -> None:
    for draw in (0.0, 0.25, 0.5, 0.999):
        price = plan.new_price(draw, 100_000)
        assert 90_000 <= price <= 110_100 and price != 100_000
    assert all(5 <= plan.new_stock(d / 100) <= 60 for d in range(100))


def test_pick_lands_on_an_item_or_none() -> None:
    assert plan.pick(0.999, [1, 2, 3]) == 3
    assert plan.pick(0.0, [1, 2, 3]) == 1
    assert plan.pick(0.5, []) is None


def test_the_journal_reads_back_whole_lines_and_leaves_a_torn_one_out(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        journal.write(Entry("viewer:0", "checkout", "POST", write=True, status=201, keys={"a": 1}))
        journal.write(Entry("seller:3", "price", "PATCH", write=True, status=409))
    with path.open("a") as f:
        f.write('{"actor": "viewer:1", "act')  # a line cut short
    entries = list(read(path))
    assert [(e.actor, e.acknowledged) for e in entries] == [("viewer:0", True), ("seller:3", False)]
    assert all(json.loads(line)["t"] for line in path.read_text().splitlines()[:2])
