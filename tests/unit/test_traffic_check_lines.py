"""The traffic checker compares an order's lines wherever the order lives now: moved to commerce
with its merchant, or placed in commerce and gone back to the app with a rollback."""

from typing import Any, cast

from keranjang.demo.traffic.check import same_lines
from keranjang.demo.traffic.where import Place, Stored


class FakePlace:
    product_map = {7: 3, 8: 4}  # legacy product id → commerce product id


def stored(side: str, lines: list[tuple[int, int, int]]) -> Stored:
    return Stored(side=side, id=1, merchant=1, status="paid", total_idr=0, created_at=None,
                  lines=lines)  # fmt: skip


def answered(lines: list[list[int]], in_commerce: bool) -> dict[str, Any]:
    return {"lines": lines} | ({"commerce_merchant_id": 5} if in_commerce else {})


PLACE = cast(Place, FakePlace())


def test_an_order_placed_in_commerce_and_rolled_back_is_compared_by_the_apps_ids() -> None:
    back = stored("legacy", [(7, 2, 10_000), (8, 1, 5_000)])
    assert same_lines(answered([[3, 2, 10_000], [4, 1, 5_000]], True), back, PLACE)
    assert not same_lines(answered([[4, 2, 10_000], [3, 1, 5_000]], True), back, PLACE)


def test_an_order_of_the_app_moved_to_commerce_is_compared_by_commerces_ids() -> None:
    moved = stored("commerce", [(3, 2, 10_000)])
    assert same_lines(answered([[7, 2, 10_000]], False), moved, PLACE)
    assert not same_lines(answered([[7, 3, 10_000]], False), moved, PLACE)


def test_an_order_on_the_side_it_was_placed_is_compared_as_answered() -> None:
    assert same_lines(answered([[3, 1, 5]], True), stored("commerce", [(3, 1, 5)]), PLACE)
    assert not same_lines(answered([[3, 1, 5]], True), stored("commerce", [(4, 1, 5)]), PLACE)
