"""Social's words (the feed, the creators' pages and the in-app shop): the catalog
`social/locale/en/LC_MESSAGES/social.po`, read through the shared `infra.i18n` (Indonesian is the
source language, English the second locale); times in WIB with the locale's month names, and
rupiah. Every page of social draws its `_`, `lang` and language switch from `page_words`."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keranjang.infra.http_errors import error_json
from keranjang.infra.i18n import Catalog, Words

CATALOG = Catalog("social", Path(__file__).resolve().parent / "locale", "social_lang")
INDONESIAN = CATALOG.words("id")
JAKARTA = ZoneInfo("Asia/Jakarta")  # Western Indonesian Time (UTC+7, no daylight saving)
# `27 Mar 2024, 16.00 WIB` / `27 Mar 2024, 16:00 WIB`: the locale's month names, always WIB.
MOMENT = {"id": "d MMM y, HH.mm", "en": "d MMM y, HH:mm"}

__all__ = ["CATALOG", "INDONESIAN", "N_", "Words", "page_words", "rupiah", "wib", "words_of"]


def N_(text: str) -> str:
    """Marks a text for the catalog where it is defined; it is translated where it is shown."""
    return text


# What `infra.error_pages` says of an unknown or malformed address, worded here for social.
ADDRESS_TEXTS = (
    N_("Halaman tidak ditemukan"),
    N_("Halaman ini tidak bisa dibuka dengan cara itu"),
    N_("Alamat tidak sah"),
    N_("Alamat {path} tidak ada di sini. Periksa alamatnya, atau mulai dari beranda."),
    N_("Alamat {path} tidak ada di sini. Periksa alamatnya."),
    N_("Isian di alamat ini tidak sah ({names}). Periksa alamatnya."),
)
FIELD = re.compile(r"\{(\w+)\}")


def reworded(words: Words, text: str) -> str:
    """An Indonesian text written elsewhere (a catalog text, or one of `ADDRESS_TEXTS` with its
    one field filled in) in the reader's locale; any other text as it is."""
    for template in ADDRESS_TEXTS:
        field = FIELD.search(template)
        if field is None:
            continue
        head, tail = template[: field.start()], template[field.end() :]
        if text.startswith(head) and text.endswith(tail) and len(text) > len(head) + len(tail):
            return words._(template, **{field.group(1): text[len(head) : len(text) - len(tail)]})
    return words._(text)


def words_of(request: Request) -> Words:
    return CATALOG.words_of(request)


def rupiah(amount: int) -> str:
    """`Rp350.000` in either locale: the amount as the buyer pays it."""
    return format_currency(amount, "IDR", locale="id_ID")


def number(value: int, words: Words = INDONESIAN) -> str:
    return format_decimal(value, locale=words.locale)


def wib(at: datetime, words: Words = INDONESIAN) -> str:
    """`27 Mar 2024, 16.00 WIB`; a time without a zone is UTC, as social stores every time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    pattern = MOMENT.get(words.lang, MOMENT["id"])
    return format_datetime(at, pattern, tzinfo=JAKARTA, locale=words.locale) + " WIB"


def page_words(request: Request, words: Words) -> dict[str, object]:
    """What every template of social is given: `_`, `lang`, the switch to the other language,
    and times in the reader's locale."""
    return {
        "w": words,
        "_": words._,
        "lang": words.lang,
        "switch": CATALOG.switch_url(request, words),
        "wib": lambda at: wib(at, words),
    }


def remember(request: Request, response: Response, words: Words) -> None:
    CATALOG.remember(request, response, words)


# Parameters that are amounts or bounds (`10.000.000`), not ids or status codes.
COUNTS = frozenset({"low", "high", "limit", "left", "asked"})


def worded(words: Words, text: str, params: dict[str, object]) -> str:
    """A catalog text with an error's parameters, amounts written the locale's way."""
    shown = {
        name: number(value, words) if name in COUNTS and isinstance(value, int) else value
        for name, value in params.items()
    }
    try:
        return words._(text, **shown)
    except (KeyError, IndexError):  # a text naming a parameter this raise did not give
        return words._(text)


class Coded(Protocol):
    code: str
    params: dict[str, object]


def coded_error_json(
    words: Words, exc: Coded, message: str, detail: str, status: int, **extra: str
) -> JSONResponse:
    """The one JSON shape (`error`, `detail`: the developer's message), with the error's `code`,
    its `params` and its `message` in the request's locale."""
    shaped = error_json(type(exc).__name__, detail, status, code=exc.code, **extra)
    body = json.loads(bytes(shaped.body))
    body |= {"params": exc.params, "message": message}
    return JSONResponse(body, status_code=status, headers={"Content-Language": words.lang})
