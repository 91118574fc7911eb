"""The in-app shop's page rules, without I/O: numbers as people type them, `next=` kept on this
app, every wrong address field named at once, and rupiah and WIB as Indonesians read them."""

from datetime import UTC, datetime

import pytest

from keranjang.social.legacy_shop.pages_checkout import ADDRESS_HINTS, read_address
from keranjang.social.legacy_shop.pages_forms import local_path, whole_number
from keranjang.social.legacy_shop.pages_render import rupiah, wib


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3", 3), (" 1.250.000 ", 1_250_000), ("1 000", 1000), ("0", None), ("-1", None),
     ("1e3", None), ("٣", None), ("", None), ("9" * 16, None), ("2,5", None)],
)  # fmt: skip
def test_whole_numbers_are_read_as_typed_within_bounds(typed: str, expected: int | None) -> None:
    assert whole_number(typed, 1, 10**12) == expected


@pytest.mark.parametrize(
    "candidate",
    ["//evil.test/x", "https://evil.test/", "/\\evil.test", "/\tx", "legacy/orders", "", None],
)
def test_next_never_leaves_this_app(candidate: str | None) -> None:
    assert local_path(candidate) == "/legacy/orders"


def test_next_keeps_a_path_of_this_app() -> None:
    assert local_path("/legacy/products/7?pin=3") == "/legacy/products/7?pin=3"


def test_every_wrong_address_field_is_named_at_once() -> None:
    typed = {"recipient": "", "phone": "12ab", "street": "Jl. Merdeka 17", "city": "B",
             "postal_code": "401"}  # fmt: skip
    address, errors = read_address(typed)
    assert address is None
    assert errors == {k: ADDRESS_HINTS[k] for k in ("recipient", "phone", "city", "postal_code")}


def test_a_good_address_is_kept_with_the_phone_as_digits() -> None:
    typed = {"recipient": " Siti ", "phone": "0812-3456 7890", "street": "Jl. Merdeka 17",
             "city": "Bandung", "postal_code": "40111"}  # fmt: skip
    address, errors = read_address(typed)
    assert errors == {} and address is not None
    assert (address.recipient, address.phone) == ("Siti", "081234567890")


def test_money_and_times_read_the_indonesian_way() -> None:
    assert rupiah(1_250_000) == "Rp1.250.000"
    assert wib(datetime(2024, 3, 27, 9, 0, tzinfo=UTC)) == "27 Mar 2024, 16.00 WIB"
    assert wib(datetime(2024, 8, 17, 3, 5)) == "17 Agu 2024, 10.05 WIB"
