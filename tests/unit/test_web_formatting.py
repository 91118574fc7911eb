"""Money and times as the pages, the seller center and the invoice write them: rupiah the
Indonesian way, times in Western Indonesian Time with Indonesian month names."""

from datetime import UTC, date, datetime

import pytest

from keranjang.commerce.web.formatting import day, rupiah, wib


@pytest.mark.parametrize(
    ("amount", "written"),
    [(350_000, "Rp350.000"), (1_905_000, "Rp1.905.000"), (0, "Rp0"), (-5_000, "-Rp5.000")],
)
def test_rupiah_are_whole_with_dots_between_thousands(amount: int, written: str) -> None:
    assert rupiah(amount) == written


def test_a_time_is_read_in_wib_with_an_indonesian_month() -> None:
    assert wib(datetime(2024, 12, 31, 20, 0, tzinfo=UTC)) == "1 Jan 2025, 03.00 WIB"
    assert wib("2024-05-01T00:00:00+07:00") == "1 Mei 2024, 00.00 WIB"


def test_a_stored_time_without_a_zone_is_utc() -> None:
    assert wib(datetime(2024, 10, 1, 9, 30)) == "1 Okt 2024, 16.30 WIB"


def test_a_calendar_day_keeps_its_date() -> None:
    assert day(date(2024, 8, 17)) == day("2024-08-17") == "17 Agu 2024"
