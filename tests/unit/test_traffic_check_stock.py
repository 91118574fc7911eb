"""The traffic checker's stock check: a product's stock now is the last stock its seller set,
less what acknowledged orders took afterwards, wherever they were placed (in the app, or in
commerce once the merchant moved), and only a difference nothing in the journal explains is
reported as lost."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from keranjang.demo.traffic.check import Report, check_products
from keranjang.demo.traffic.journal import Entry
from keranjang.demo.traffic.where import Place

SELLER, LEGACY_PRODUCT, MOVED_PRODUCT = 2, 8, 31
T0 = datetime(2024, 3, 14, 9, tzinfo=UTC)


class FakePlace:
    """Product 8 of seller 2 moved to commerce as product 31, with `stock` units there."""

    product_map = {LEGACY_PRODUCT: MOVED_PRODUCT}

    def __init__(self, stock: int) -> None:
        self.stock = stock

    def product(self, legacy_product: int, seller: int) -> tuple[str, int, int, int] | None:
        assert (legacy_product, seller) == (LEGACY_PRODUCT, SELLER)
        return ("commerce", MOVED_PRODUCT, 150_000, self.stock)


def at(ms: int) -> str:
    return (T0 + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")


def stock_set(stock: int, answered_ms: int, latency_ms: float = 10) -> Entry:
    keys = {"product_id": LEGACY_PRODUCT, "seller_id": SELLER, "stock": stock, "price_idr": 1}
    return Entry("seller:2", "stock", write=True, status=200, keys=keys, t=at(answered_ms),
                 latency_ms=latency_ms)  # fmt: skip


def checkout(side: str, product: int, units: int, answered_ms: int, latency_ms: float = 10) -> Entry:  # fmt: skip
    order: dict[str, Any] = {"number": "X", "lines": [[product, units, 150_000]]}
    keys = {"side": side, "replayed": False, "orders": [order]}
    return Entry("viewer:1", "checkout", write=True, status=201, keys=keys, t=at(answered_ms),
                 latency_ms=latency_ms)  # fmt: skip


def checked(entries: list[Entry], stock_now: int) -> Report:
    report = Report()
    check_products(entries, cast(Place, FakePlace(stock_now)), report)
    return report


def test_units_bought_in_commerce_after_the_move_are_not_reported_lost() -> None:
    entries = [
        stock_set(45, 1_000),
        checkout("commerce", MOVED_PRODUCT, 2, 5_000),
        checkout("commerce", MOVED_PRODUCT, 3, 6_000),
    ]
    assert checked(entries, 40).findings == []


def test_a_stock_change_lost_on_the_way_is_still_reported() -> None:
    entries = [stock_set(45, 1_000), checkout("commerce", MOVED_PRODUCT, 2, 5_000)]
    assert checked(entries, 43).findings == []
    lost = checked([stock_set(45, 1_000)], 40).problems
    assert [(f.kind, f.detail) for f in lost] == [("mismatched", "40 in commerce, acknowledged 45")]


def test_units_of_another_product_bought_in_commerce_do_not_count() -> None:
    entries = [stock_set(45, 1_000), checkout("commerce", LEGACY_PRODUCT, 5, 5_000)]
    assert [f.kind for f in checked(entries, 40).problems] == ["mismatched"]


def test_an_order_answered_first_but_still_under_way_when_the_stock_was_set_is_not_a_loss() -> None:
    """The checkout's request was sent before the stock change's and answered after the stock
    change was sent: it may have committed after it, so the journal cannot say which came
    first."""
    entries = [
        checkout("legacy", LEGACY_PRODUCT, 5, 1_000, latency_ms=300),
        stock_set(45, 1_050, latency_ms=200),
    ]
    report = checked(entries, 40)
    assert report.problems == [] and [f.kind for f in report.findings] == ["not_checked"]
    long_before = [checkout("legacy", LEGACY_PRODUCT, 5, 500), stock_set(45, 1_050)]
    assert [f.kind for f in checked(long_before, 40).problems] == ["mismatched"]
