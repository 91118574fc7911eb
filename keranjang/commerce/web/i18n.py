"""Commerce's words: its catalog `commerce/locale/en/LC_MESSAGES/commerce.po`, read through the
shared `infra.i18n` (Indonesian is the source language, English the second locale), and the
reader's `Words`, chosen once per request (`?lang=`, the cookie, then Accept-Language)."""

from pathlib import Path

from starlette.requests import Request

from keranjang.infra.i18n import Catalog, Words

CATALOG = Catalog("commerce", Path(__file__).resolve().parents[1] / "locale", "commerce_lang")

# The source language's words, for code that words a text before any request names a reader.
INDONESIAN = Words("id")

__all__ = ["CATALOG", "INDONESIAN", "Words", "words_of"]


def words_of(request: Request) -> Words:
    """The reader's words, chosen once per request."""
    known = getattr(request.state, "words", None)
    if isinstance(known, Words):
        return known
    words = CATALOG.words_of(request)
    request.state.words = words
    return words
