"""The pay page's words: the simulator's catalog `simulator/locale/en/LC_MESSAGES/simulator.po`,
read through the shared `infra.i18n` (Indonesian first: the buyers who see the pay page are
Indonesian shoppers; English is the second locale), and times in WIB with the locale's month
names."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from starlette.requests import Request

from keranjang.infra.i18n import Catalog, Words

CATALOG = Catalog("simulator", Path(__file__).resolve().parent / "locale", "pay_lang")
JAKARTA = ZoneInfo("Asia/Jakarta")
# `27 Mar 2024, 16.00 WIB` / `27 Mar 2024, 16:00 WIB`
MOMENT = {"id": "d MMM y, HH.mm", "en": "d MMM y, HH:mm"}


def N_(text: str) -> str:
    """Marks a text for the catalog where it is defined; it is translated where it is shown."""
    return text


def wib(moment: datetime, words: Words) -> str:
    pattern = MOMENT.get(words.lang, MOMENT["id"])
    return format_datetime(moment, pattern, tzinfo=JAKARTA, locale=words.locale) + " WIB"


def page_words(request: Request) -> tuple[Words, dict[str, object]]:
    """The reader's words and what every template is given: `_`, `lang`, the switch, `wib`."""
    words = CATALOG.words_of(request)
    return words, {
        "w": words,
        "_": words._,
        "lang": words.lang,
        "switch": CATALOG.switch_url(request, words),
        "wib": lambda moment: wib(moment, words),
    }
