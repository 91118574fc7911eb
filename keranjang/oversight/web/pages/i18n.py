"""The dashboard's and the report's words, in one message catalog: Indonesian is the source
language (every msgid is the Indonesian text), English the second locale, read from the gettext
catalog `oversight/locale/en/LC_MESSAGES/oversight.po`. Babel compiles it into a `Translations`
at import, so no compiled `.mo` can drift from the `.po` it came from."""

import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

CATALOG_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "oversight"
DEFAULT = "id"
LOCALES = ("id", "en")
LANG_COOKIE = "oversight_lang"


def catalog_path(lang: str) -> Path:
    return CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compiled(lang: str) -> NullTranslations:
    with catalog_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


TRANSLATIONS: dict[str, NullTranslations] = {"id": NullTranslations(), "en": _compiled("en")}


@dataclass(frozen=True)
class Words:
    """One locale's words: `_` translates an Indonesian text; `lang` names the locale."""

    lang: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def _(self, text: str, **params: object) -> str:
        translated = TRANSLATIONS[self.lang].gettext(text)
        return translated.format(**params) if params else translated

    @property
    def other(self) -> str:
        """The locale the switch offers."""
        return "en" if self.lang == "id" else "id"


def choose(asked: str | None, remembered: str | None, accept_language: str | None) -> Words:
    """`?lang=` first, then the remembered switch, then the browser's Accept-Language."""
    for lang in (asked, remembered):
        if lang in LOCALES:
            return Words(lang)
    preferred = [
        part.split(";")[0].strip().replace("-", "_")
        for part in (accept_language or "").split(",")
        if part.strip()
    ]
    found = negotiate_locale(preferred, list(LOCALES), sep="_")
    return Words(found if found in LOCALES else DEFAULT)
