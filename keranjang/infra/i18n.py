"""Every part's words through one kind of message catalog. Indonesian is the source language:
every msgid is the Indonesian text a page shows first; English is the second locale, read from
the part's gettext catalog `<part>/locale/en/LC_MESSAGES/<domain>.po`. Babel compiles each `.po`
into a `Translations` when the part's `Catalog` is made, so no compiled `.mo` can drift from the
`.po` it came from.

A part makes one `Catalog` and asks it for the reader's `Words`:

    CATALOG = Catalog("commerce", Path(__file__).parent / "locale", cookie="krg_lang")
    words = CATALOG.words_of(request)          # ?lang=, then the cookie, then Accept-Language
    words._("Keranjang kosong")                # "Your cart is empty" in English
    words._("Sisa {count} barang", count=3)    # parameters are `str.format` fields
    CATALOG.remember(request, response, words) # keeps a `?lang=` choice in the cookie

Hand-written only as far as choosing and remembering the locale goes: Babel reads the catalogs
and negotiates Accept-Language; Starlette's request and response carry the rest.
"""

import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request
from starlette.responses import Response

DEFAULT = "id"
LOCALES = ("id", "en")
LANG_SECONDS = 365 * 86_400


def compile_catalog(path: Path, lang: str, domain: str) -> NullTranslations:
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@dataclass(frozen=True)
class Words:
    """One locale's words: `_` translates an Indonesian text; `lang` names the locale."""

    lang: str
    translations: NullTranslations = field(default_factory=NullTranslations, compare=False)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def _(self, text: str, **params: object) -> str:
        translated = self.translations.gettext(text)
        return translated.format(**params) if params else translated

    def n_(self, singular: str, plural: str, count: int, **params: object) -> str:
        """A text that depends on a count; `{count}` is always a parameter."""
        translated = self.translations.ngettext(singular, plural, count)
        return translated.format(count=count, **params)

    @property
    def other(self) -> str:
        """The locale the switch offers."""
        return "en" if self.lang == "id" else "id"


def negotiate(accept_language: str | None) -> str:
    preferred = [
        part.split(";")[0].strip().replace("-", "_")
        for part in (accept_language or "").split(",")
        if part.strip()
    ]
    found = negotiate_locale(preferred, list(LOCALES), sep="_")
    return found if found in LOCALES else DEFAULT


@dataclass(frozen=True)
class Catalog:
    """A part's catalog: its gettext domain, the folder holding `<lang>/LC_MESSAGES/<domain>.po`,
    and the cookie that remembers a reader's switch."""

    domain: str
    directory: Path
    cookie: str = "lang"

    def path(self, lang: str) -> Path:
        return self.directory / lang / "LC_MESSAGES" / f"{self.domain}.po"

    @cached_property
    def _translations(self) -> dict[str, NullTranslations]:
        english = compile_catalog(self.path("en"), "en", self.domain)
        return {"id": NullTranslations(), "en": english}

    def words(self, lang: str) -> Words:
        lang = lang if lang in LOCALES else DEFAULT
        return Words(lang, self._translations[lang])

    def choose(
        self, asked: str | None, remembered: str | None, accept_language: str | None
    ) -> Words:
        """`?lang=` first, then the remembered switch, then the browser's Accept-Language."""
        for lang in (asked, remembered):
            if lang in LOCALES:
                return self.words(lang)
        return self.words(negotiate(accept_language))

    def words_of(self, request: Request) -> Words:
        return self.choose(
            request.query_params.get("lang"),
            request.cookies.get(self.cookie),
            request.headers.get("accept-language"),
        )

    def remember(self, request: Request, response: Response, words: Words) -> None:
        """Say the page's language, and keep a `?lang=` choice for the next pages."""
        response.headers["Content-Language"] = words.lang
        if request.query_params.get("lang") in LOCALES:
            response.set_cookie(self.cookie, words.lang, max_age=LANG_SECONDS, samesite="lax")

    def switch_url(self, request: Request, words: Words) -> str:
        """This page's address in the other locale."""
        other = request.url.include_query_params(lang=words.other)
        return f"{other.path}?{other.query}"
