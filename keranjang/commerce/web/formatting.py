"""Money and times as people in Indonesia read them, on every page, in the seller center and on
the invoice (page and PDF): rupiah the Indonesian way (`Rp1.250.000`) and times in Western
Indonesian Time with Indonesian month names (`27 Mar 2024, 16.00 WIB`).

Babel brings the locale's rules (CLDR: symbol, separators, month names, the zone's short name)
and `zoneinfo` the zone, so nothing here is a hand-written table."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALE = "id_ID"
# Western Indonesian Time, where the shop and most buyers are (UTC+7, no daylight saving).
JAKARTA = ZoneInfo("Asia/Jakarta")
# Day, short month, year and time; `z` is the zone's short name in the locale: WIB.
MOMENT = "d MMM y, HH.mm z"
DAY = "d MMM y"


def rupiah(amount: int) -> str:
    """`Rp350.000`: whole rupiah, dots between thousands (negative amounts `-Rp5.000`)."""
    return format_currency(amount, "IDR", locale=LOCALE)


def wib(moment: str | datetime) -> str:
    """`27 Mar 2024, 16.00 WIB` from an ISO time or a datetime; a time without a zone is UTC,
    as commerce stores every time."""
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return format_datetime(at, MOMENT, tzinfo=JAKARTA, locale=LOCALE)


def day(value: str | date) -> str:
    """`27 Mar 2024` from an ISO date or a date (a calendar day, already in WIB)."""
    on = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(on, DAY, locale=LOCALE)


# What templates may call: `{{ rupiah(order.total_idr) }}`, `{{ wib(order.created_at) }}`.
TEMPLATE_FUNCTIONS = {"rupiah": rupiah, "wib": wib, "day": day}
