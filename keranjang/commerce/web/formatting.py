"""Money and times as people in Indonesia read them, on every page, in the seller center and on
the invoice (page and PDF): rupiah the Indonesian way (`Rp1.250.000`, in either locale) and
times in Western Indonesian Time with the reader's month names (`27 Mar 2024, 16.00 WIB`, in
English `27 Mar 2024, 16:00 WIB`).

Babel brings the locale's rules (CLDR: symbol, separators, month names, the zone's short name)
and `zoneinfo` the zone, so nothing here is a hand-written table."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALE = "id_ID"
# Western Indonesian Time, where the shop and most buyers are (UTC+7, no daylight saving).
JAKARTA = ZoneInfo("Asia/Jakarta")
# Day, short month, year and time, then the zone's name, WIB in either locale.
MOMENT = {"id": "d MMM y, HH.mm", "en": "d MMM y, HH:mm"}
DAY = "d MMM y"
LOCALES = {"id": LOCALE, "en": "en_GB"}


def rupiah(amount: int) -> str:
    """`Rp350.000`: whole rupiah, dots between thousands (negative amounts `-Rp5.000`)."""
    return format_currency(amount, "IDR", locale=LOCALE)


def wib(moment: str | datetime, lang: str = "id") -> str:
    """`27 Mar 2024, 16.00 WIB` from an ISO time or a datetime; a time without a zone is UTC,
    as commerce stores every time. `lang` gives the month names (`en`: `16 Aug 2024, 03:05`)."""
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    pattern = MOMENT.get(lang, MOMENT["id"])
    text = format_datetime(at, pattern, tzinfo=JAKARTA, locale=LOCALES.get(lang, LOCALE))
    return f"{text} WIB"


def day(value: str | date, lang: str = "id") -> str:
    """`27 Mar 2024` from an ISO date or a date (a calendar day, already in WIB)."""
    on = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(on, DAY, locale=LOCALES.get(lang, LOCALE))


def for_locale(lang: str) -> dict[str, object]:
    """What templates call, in the reader's locale: `{{ wib(order.created_at) }}`."""
    return {
        "rupiah": rupiah,
        "wib": lambda moment: wib(moment, lang),
        "day": lambda value: day(value, lang),
    }


# What templates may call: `{{ rupiah(order.total_idr) }}`, `{{ wib(order.created_at) }}`.
TEMPLATE_FUNCTIONS = {"rupiah": rupiah, "wib": wib, "day": day}
