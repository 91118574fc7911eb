"""Commerce's words in one place: every text its templates and web code show through `_()`, and
every text of its tables (statuses, methods, refusals…), has its English in the catalog, and the
catalog keeps nothing no page uses; every refusal code commerce raises has its wording."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from keranjang.commerce.buying.domain import COURIERS
from keranjang.commerce.errors import CommerceError, Invalid
from keranjang.commerce.web import wording
from keranjang.commerce.web.i18n import CATALOG
from keranjang.commerce.web.pages import browse
from keranjang.commerce.web.pages.buyer import checkout_choices, order_pages
from keranjang.commerce.web.pages.seller import listing_form, session, statement_pages
from keranjang.infra import error_pages

COMMERCE = Path(__file__).resolve().parents[2] / "keranjang" / "commerce"
TABLES = (
    wording.ERRORS,
    wording.LABELS,
    wording.HEADINGS,
    wording.NOTES,
    wording.STATUS_NAMES,
    browse.SORT_LABELS,
    order_pages.METHODS,
    session.STATUS_LABELS,
    session.ERROR_HEADINGS,
    statement_pages.KIND_LABELS,
    statement_pages.ACCOUNT_LABELS,
    checkout_choices.ADDRESS_HINTS,
    checkout_choices.CHOICE_HINTS,
    listing_form.LABELS,
    error_pages.HEADINGS,
)


def used_texts() -> set[str]:
    found = extract_from_dir(
        str(COMMERCE / "web"),
        method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")],
        keywords={"_": None},
    )
    used = {message for _file, _line, message, _comments, _context in found}
    for table in TABLES:
        used |= {str(text) for text in table.values()}
    return used | {c.days for c in COURIERS.values()}


def test_every_text_of_the_pages_has_its_english_and_nothing_is_stale() -> None:
    with CATALOG.path("en").open("rb") as source:
        english = {m.id: m.string for m in read_po(source) if m.id}
    used = used_texts()
    assert sorted(u for u in used if not english.get(u)) == []
    assert sorted(set(english) - used) == []


def test_every_refusal_code_raised_in_commerce_has_its_wording() -> None:
    raised = set()
    for path in COMMERCE.rglob("*.py"):
        raised |= set(re.findall(r'code="([a-z_]+)"', path.read_text()))
    raised |= {k.code for k in CommerceError.__subclasses__()}
    assert len(raised) > 60
    assert sorted(raised - set(wording.ERRORS)) == []


def test_a_refusal_names_its_field_by_the_forms_label_in_the_readers_language() -> None:
    refused = Invalid(
        "price_idr must be…", code="price_range", params={"field": "price_idr", "max": 9}
    )
    indonesian, english = CATALOG.words("id"), CATALOG.words("en")
    assert (
        wording.say(refused, indonesian)
        == "Harga (Rp) harus bilangan bulat rupiah dari 1 sampai 9."
    )
    assert (
        wording.say(refused, english) == "Price (Rp) must be a whole number of rupiah from 1 to 9."
    )
    own = {"price_idr": "Harga satuan"}
    assert wording.say(refused, english, own).startswith("Unit price must be")
    assert "price_idr" not in wording.say(refused, indonesian) + wording.say(refused, english)


def test_an_unknown_code_falls_back_to_its_class_and_never_shows_a_field_name() -> None:
    assert wording.say(Invalid("x", code="no_such_code"), CATALOG.words("en")) == (
        "Something you entered needs fixing."
    )
    assert wording.note("no payment in time", CATALOG.words("en"), wording.STATUS_NAMES) == (
        "not paid in time"
    )
    again = "paid again after the order was cancelled: returned to the buyer"
    assert wording.note(again, CATALOG.words("id"), wording.STATUS_NAMES) == (
        "dibayar lagi setelah pesanan Dibatalkan: dananya dikembalikan ke pembeli"
    )
