"""Every text social, the pay page and the migration's operator pages show through `_()` (or mark
with `N_()` where it is defined) has its English in the part's catalog, and no catalog keeps a
text nothing shows any more."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from keranjang.infra import error_pages

ROOT = Path(__file__).resolve().parents[2] / "keranjang"
FIELD = re.compile(r"\{(\w+)\}")
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def used_texts(folder: Path) -> set[str]:
    found = extract_from_dir(str(folder), method_map=METHODS, keywords={"_": None, "N_": None})
    return {m if isinstance(m, str) else m[0] for _f, _l, m, _c, _x in found if m}


def english_of(catalog: Path) -> dict[str, str]:
    with catalog.open("rb") as source:
        return {m.id: m.string for m in read_po(source) if m.id and isinstance(m.string, str)}


@pytest.mark.parametrize(
    ("folder", "catalog"),
    [
        ("social", "social/locale/en/LC_MESSAGES/social.po"),
        ("payments/simulator", "payments/simulator/locale/en/LC_MESSAGES/simulator.po"),
        ("migration", "migration/locale/en/LC_MESSAGES/migration.po"),
    ],
)
def test_every_text_shown_has_its_english_and_nothing_is_stale(folder: str, catalog: str) -> None:
    used, english = used_texts(ROOT / folder), english_of(ROOT / catalog)
    assert used, folder
    assert sorted(text for text in used if not english.get(text)) == []
    assert sorted(set(english) - used) == []


def test_every_english_text_keeps_the_fields_of_its_indonesian() -> None:
    for catalog in ROOT.glob("*/**/locale/en/LC_MESSAGES/*.po"):
        if "oversight" in catalog.parts:
            continue
        for indonesian, english in english_of(catalog).items():
            fields = set(FIELD.findall(indonesian))
            assert set(FIELD.findall(english)) == fields, (catalog.name, indonesian)


def test_the_address_pages_of_the_shared_handler_are_worded_by_social_and_the_pay_page() -> None:
    social = english_of(ROOT / "social/locale/en/LC_MESSAGES/social.po")
    pay = english_of(ROOT / "payments/simulator/locale/en/LC_MESSAGES/simulator.po")
    for heading in error_pages.HEADINGS.values():
        assert social.get(heading) and pay.get(heading), heading
