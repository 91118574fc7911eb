"""What the checkout form asks, read from what the buyer sent: where to ship (a saved address,
or a new one, saved too if asked), with which courier, and how to pay. Each answer is either a
value checkout takes or, next to its field, what to fix."""

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from keranjang.commerce.buying.domain import COURIERS, SavedAddress
from keranjang.commerce.errors import Conflict
from keranjang.commerce.money.domain import Choice
from keranjang.commerce.web.api.shop import AddressIn
from keranjang.commerce.web.i18n import INDONESIAN, Words
from keranjang.commerce.web.pages.buyer.guard import buying
from keranjang.commerce.web.pages.buyer.order_pages import read_choice

# What to fix in each field of a new address (msgids of the catalog, worded per reader).
ADDRESS_HINTS = {
    "recipient": "Isi nama penerima (paling banyak 120 huruf).",
    "phone": "Isi nomor HP 8 sampai 15 angka, boleh diawali +, contoh +6281234567890.",
    "street": "Isi alamat lengkap: jalan, nomor rumah, RT/RW (3 sampai 300 huruf).",
    "city": "Isi kota atau kabupaten (2 sampai 80 huruf).",
    "postal_code": "Kode pos terdiri dari 5 angka, contoh 40111.",
}
# What to fix in the other choices.
CHOICE_HINTS = {
    "courier": "Pilih kurir pengiriman.",
    "method": "Pilih metode pembayaran.",
    "address_id": "Pilih salah satu alamat tersimpan, atau isi alamat baru.",
}
NEW_ADDRESS = "new"
DEFAULT_COURIER = "jne"
FIELDS = (*ADDRESS_HINTS, "method", "address_id", "courier", "save_address", "label")


@dataclass
class Choices:
    """The form read: the checkout's body (address and courier), how to pay, and errors."""

    values: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    choice: Choice | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.errors and self.choice is not None and bool(self.body)


def read_choices(
    form: dict[str, str], saved: list[SavedAddress], words: Words = INDONESIAN
) -> Choices:
    values = {name: form.get(name, "").strip() for name in FIELDS}
    read = Choices(values)
    _read_address(read, saved)
    courier = values["courier"] or DEFAULT_COURIER
    if courier in COURIERS:
        read.body["courier"] = courier
    else:
        read.errors["courier"] = CHOICE_HINTS["courier"]
    read.choice = read_choice(values["method"])
    if read.choice is None:
        read.errors["method"] = CHOICE_HINTS["method"]
    read.errors = {name: words._(text) for name, text in read.errors.items()}
    return read


def _read_address(read: Choices, saved: list[SavedAddress]) -> None:
    picked = read.values["address_id"] or NEW_ADDRESS
    if picked != NEW_ADDRESS:
        if picked.isdigit() and int(picked) in {a.id for a in saved}:
            read.body["address_id"] = int(picked)
        else:
            read.errors["address_id"] = CHOICE_HINTS["address_id"]
        return
    address, errors = read_address(read.values)
    read.errors |= errors
    if address is not None:
        read.body["shipping_address"] = address


def read_address(values: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The address as checkout stores it, or what to fix next to each field."""
    given = {name: values[name] for name in ADDRESS_HINTS}
    given["phone"] = re.sub(r"[\s-]", "", given["phone"])  # "0812-3456 7890" is a fine number
    try:
        return AddressIn(**given).model_dump(), {}
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors()}
        return None, {name: hint for name, hint in ADDRESS_HINTS.items() if name in wrong}


def save_if_asked(request: Request, buyer: int, read: Choices) -> None:
    """Keep a new address the buyer asked to save, unless the same one is kept already (or the
    account keeps as many as it may: the order stands all the same)."""
    address = read.body.get("shipping_address")
    if address is None or read.values["save_address"] != "1":
        return
    svc = buying(request)
    if any(_same(a, address) for a in svc.addresses(buyer)):
        return
    try:
        svc.add_address(buyer, read.values["label"][:40] or "Rumah", address)
    except Conflict:
        return


def _same(saved: SavedAddress, address: dict[str, Any]) -> bool:
    return all(getattr(saved, k) == address[k] for k in ADDRESS_HINTS)
