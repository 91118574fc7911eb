"""The English of every part's catalog, to find English left on a page shown in Indonesian: a
page rendered for an Indonesian reader must show none of the catalogs' English texts."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from keranjang.commerce.buying.domain import COURIERS
from keranjang.commerce.web.pages.buyer.order_pages import METHODS

ROOT = Path(__file__).resolve().parents[1] / "keranjang"
MIN_LETTERS = 4  # "OK", "API", "PDF": too short to tell a language by
# Names, the same in every language, that a catalog does not translate: the shop's brand, the
# payment methods and couriers as Indonesian shoppers know them ("Virtual Account BCA",
# "AnterAja Next Day").
NAMES = (
    "Keranjang Shop",
    "Virtual Account",
    "GoPay",
    *(c.name for c in COURIERS.values()),
    *METHODS.values(),
)


def english_texts() -> set[str]:
    """Every English translation in the project's catalogs that differs from its Indonesian."""
    texts: set[str] = set()
    for path in ROOT.glob("**/locale/en/LC_MESSAGES/*.po"):
        with path.open("rb") as source:
            for message in read_po(source):
                if not message.id or not isinstance(message.string, str):
                    continue
                english = re.sub(r"\{[^}]*\}", "", message.string).strip()
                if english != message.id and sum(c.isalpha() for c in english) >= MIN_LETTERS:
                    texts.add(english)
    return texts


def english_on(page_text: str, texts: set[str] | None = None) -> list[str]:
    """The catalogs' English texts found on a page, longest first (whole words only), once the
    names every language shares are taken out."""
    for name in sorted(NAMES, key=len, reverse=True):
        page_text = page_text.replace(name, " ")
    found = []
    for text in sorted(texts if texts is not None else english_texts(), key=len, reverse=True):
        pieces = [p for p in re.split(r"\s{2,}", text) if p]
        if all(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", page_text) for p in pieces):
            found.append(text)
    return found
