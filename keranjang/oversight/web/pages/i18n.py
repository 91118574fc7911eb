"""The dashboard's and the report's words: oversight's catalog
`oversight/locale/en/LC_MESSAGES/oversight.po`, read through the shared `infra.i18n` (Indonesian
is the source language, English the second locale)."""

from pathlib import Path

from keranjang.infra.i18n import LOCALES, Catalog, Words

CATALOG = Catalog("oversight", Path(__file__).resolve().parents[2] / "locale", "oversight_lang")
LANG_COOKIE = CATALOG.cookie

__all__ = ["CATALOG", "LANG_COOKIE", "LOCALES", "Words", "catalog_path", "choose"]


def catalog_path(lang: str) -> Path:
    return CATALOG.path(lang)


def choose(asked: str | None, remembered: str | None, accept_language: str | None) -> Words:
    """`?lang=` first, then the remembered switch, then the browser's Accept-Language."""
    return CATALOG.choose(asked, remembered, accept_language)
