"""Times in WIB with the locale's month names (Indonesian first), durations, percentages and the
labels of statuses, outlooks and sanctions, all worded through the catalog."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

from keranjang.oversight.web.pages.i18n import Words

WIB = ZoneInfo("Asia/Jakarta")
STATUS = {
    "pass": "Lulus",
    "fail": "Gagal",
    "not_applicable": "Tidak berlaku",
    "insufficient_data": "Data tidak cukup",
}
STATUS_MARK = {"pass": "✓", "fail": "✗", "not_applicable": "\N{EN DASH}", "insufficient_data": "?"}
OUTLOOK = {
    "done": "Selesai",
    "on_track": "Sesuai jadwal",
    "at_risk": "Berisiko terlambat",
    "late": "Terlambat",
    "unknown": "Belum diketahui",
}
SANCTION = {
    "warning": "Peringatan tertulis",
    "priority_supervision": "Daftar prioritas pengawasan",
    "blacklist": "Daftar hitam",
    "temporary_blocking": "Pemblokiran sementara",
    "licence_revocation": "Pencabutan izin usaha",
}
CATEGORY = {
    "payment": "Pembayaran",
    "data": "Data",
    "merchant_operations": "Operasional penjual",
    "overall": "Keseluruhan",
}


def wib(moment: datetime | None, words: Words, with_time: bool = True) -> str:
    """`12 April 2024 00.00 WIB` (Indonesian) or `12 April 2024 00:00 WIB` (English)."""
    if moment is None:
        return "—"
    pattern = "d MMMM y HH:mm" if with_time else "d MMMM y"
    text = format_datetime(moment, pattern, tzinfo=WIB, locale=words.locale)
    return f"{text} WIB" if with_time else text


def percent(value: float, words: Words) -> str:
    return format_decimal(round(value, 1), "#,##0.#", locale=words.locale) + " %"


def duration(seconds: float, words: Words) -> str:
    """`12 hari 3 jam` / `12 days 3 hours`; under an hour, minutes."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return words._("{days} hari {hours} jam", days=days, hours=hours)
    if hours:
        return words._("{hours} jam {minutes} menit", hours=hours, minutes=minutes)
    return words._("{minutes} menit", minutes=minutes)


def countdown(seconds_left: float, words: Words) -> str:
    if seconds_left >= 0:
        return words._("sisa {left}", left=duration(seconds_left, words))
    return words._("lewat {late}", late=duration(seconds_left, words))


def label(table: dict[str, str], key: str | None, words: Words) -> str:
    """A status, outlook, sanction or category in the locale (the key itself if unknown)."""
    if key is None:
        return "—"
    return words._(table[key]) if key in table else key
