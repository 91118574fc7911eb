"""The shared catalog machinery: the locale chosen as a reader would expect, words translated
with their parameters, and English found on a page that should be Indonesian."""

from pathlib import Path

import pytest

from keranjang.infra.i18n import Catalog
from tests.english import english_on, english_texts

PO = """msgid ""
msgstr ""
"Language: en\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Keranjang kosong"
msgstr "Your cart is empty"

msgid "Sisa {count} barang"
msgid_plural "Sisa {count} barang"
msgstr[0] "{count} item left"
msgstr[1] "{count} items left"

msgid "Bayar {amount} sebelum {deadline}"
msgstr "Pay {amount} before {deadline}"
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "shop.po").write_text(PO, encoding="utf-8")
    return Catalog("shop", tmp_path, cookie="shop_lang")


def test_indonesian_is_the_default_and_english_is_chosen_by_the_browser(catalog: Catalog) -> None:
    assert catalog.choose(None, None, None).lang == "id"
    assert catalog.choose(None, None, "fr-FR,fr;q=0.9").lang == "id"
    assert catalog.choose(None, None, "en-US,en;q=0.9,id;q=0.8").lang == "en"
    assert catalog.choose(None, None, "id-ID,id;q=0.9,en;q=0.8").lang == "id"


def test_the_switch_wins_over_the_cookie_and_the_cookie_over_the_browser(catalog: Catalog) -> None:
    assert catalog.choose("id", "en", "en").lang == "id"
    assert catalog.choose(None, "en", "id").lang == "en"
    assert catalog.choose("xx", "yy", "en").lang == "en"


def test_words_translate_with_parameters_and_counts(catalog: Catalog) -> None:
    english, indonesian = catalog.words("en"), catalog.words("id")
    assert english._("Keranjang kosong") == "Your cart is empty"
    assert indonesian._("Keranjang kosong") == "Keranjang kosong"
    said = english._("Bayar {amount} sebelum {deadline}", amount="Rp10.000", deadline="besok")
    assert said == "Pay Rp10.000 before besok"
    assert english.n_("Sisa {count} barang", "Sisa {count} barang", 1) == "1 item left"
    assert english.n_("Sisa {count} barang", "Sisa {count} barang", 3) == "3 items left"
    assert indonesian.n_("Sisa {count} barang", "Sisa {count} barang", 3) == "Sisa 3 barang"
    assert english._("Tidak ada di katalog") == "Tidak ada di katalog"


def test_english_of_the_catalogs_is_found_on_a_page() -> None:
    texts = {"Your cart is empty", "Pay  before"}
    assert english_on("Keranjang kosong. Belanja lagi", texts) == []
    assert english_on("Keranjang — Your cart is empty!", texts) == ["Your cart is empty"]
    assert english_on("Pay Rp10.000 before tomorrow", texts) == ["Pay  before"]
    assert english_on("Repay beforehand", texts) == []


def test_the_projects_catalogs_hold_english() -> None:
    assert "Rules and their results" in english_texts()


def test_names_every_language_shares_are_not_english() -> None:
    texts = {"Shop", "Account"}
    assert english_on("Keranjang Shop · Bayar dengan Virtual Account BCA", texts) == []
    assert english_on("Keranjang Shop · Shop", texts) == ["Shop"]
