"""The buyer pages' small rules, without a server: where `next=` may lead, what a form's pending
product is, how times and addresses are read."""

from datetime import UTC, datetime

import pytest

from keranjang.commerce.web.formatting import wib
from keranjang.commerce.web.pages.buyer.account import signup_errors
from keranjang.commerce.web.pages.buyer.cart import PendingAdd, pending_add
from keranjang.commerce.web.pages.buyer.checkout_choices import read_address
from keranjang.commerce.web.pages.buyer.guard import local_path

ADDRESS = {
    "recipient": "Siti Rahma",
    "phone": "+62 812-3456-7890",
    "street": "Jl. Merdeka No. 17",
    "city": "Bandung",
    "postal_code": "40111",
}


@pytest.mark.parametrize(
    "path", ["/", "/orders", "/orders/5?transaction_status=settlement", "/products/3#ulasan"]
)
def test_a_path_on_the_shop_is_kept(path: str) -> None:
    assert local_path(path) == path


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.test/",
        "//evil.test",
        "///evil.test",
        "/\\evil.test",
        "\\\\evil.test",
        "/\t/evil.test",
        "/\n/evil.test",
        "/ /evil.test",
        "javascript:alert(1)",
        "evil.test",
        "",
        None,
        "/" + "a" * 600,
    ],
)
def test_anything_else_goes_home(hostile: str | None) -> None:
    assert local_path(hostile) == "/"


def test_a_pending_product_needs_an_id_and_a_sane_quantity() -> None:
    assert pending_add({"product_id": "7", "quantity": "2"}) == PendingAdd(7, 2)
    assert pending_add({"product_id": "7"}) == PendingAdd(7, 1)
    for quantity in ("0", "-1", "1000", "2.5", "dua"):
        assert pending_add({"product_id": "7", "quantity": quantity}) is None
    assert pending_add({"product_id": "x"}) is None and pending_add({}) is None


def test_times_are_shown_in_western_indonesian_time() -> None:
    assert wib("2024-03-27T09:00:00+00:00") == "27 Mar 2024, 16.00 WIB"
    assert wib(datetime(2024, 8, 16, 20, 5, tzinfo=UTC)) == "17 Agu 2024, 03.05 WIB"


def test_an_address_is_read_with_a_phone_as_people_type_it() -> None:
    address, errors = read_address(ADDRESS)
    assert errors == {} and address is not None
    assert address["phone"] == "+6281234567890"


def test_each_wrong_address_field_gets_its_own_hint() -> None:
    address, errors = read_address(ADDRESS | {"postal_code": "4011", "city": "", "phone": "12"})
    assert address is None
    assert set(errors) == {"postal_code", "city", "phone"}
    assert "5 angka" in errors["postal_code"]


def test_sign_up_needs_a_name_an_email_and_ten_characters() -> None:
    assert signup_errors({"name": "Siti", "email": "siti@example.com"}, "rahasia-sekali") == {}
    errors = signup_errors({"name": "", "email": "siti@"}, "pendek")
    assert set(errors) == {"name", "email", "password"}
