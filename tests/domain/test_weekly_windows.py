"""Weekly windows expanded to UTC on DST days, in odd offsets and across midnight (spec sections 1-2)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from readout.domain.intervals import Interval
from readout.domain.weekly import parse_day_key, parse_weekly, parse_window


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def expand_one(zone: str, window: str, day: date) -> list[Interval]:
    weekly = parse_weekly({"daily": window}, ZoneInfo(zone))
    return weekly.expand(day, day)


def test_us_spring_forward_day_keeps_wall_time() -> None:
    # Chicago: CST (-6) on Saturday, CDT (-5) from Sunday 2026-03-08 02:00.
    assert expand_one("America/Chicago", "09:00-17:00", date(2026, 3, 7)) == [
        Interval(u(2026, 3, 7, 15), u(2026, 3, 7, 23))
    ]
    assert expand_one("America/Chicago", "09:00-17:00", date(2026, 3, 8)) == [
        Interval(u(2026, 3, 8, 14), u(2026, 3, 8, 22))
    ]


def test_window_starting_in_spring_forward_gap_takes_offset_before_gap() -> None:
    # 02:30 does not exist on 2026-03-08 in Chicago; fold=0 reads it as CST: 08:30Z. 04:00 CDT is 09:00Z.
    assert expand_one("America/Chicago", "02:30-04:00", date(2026, 3, 8)) == [
        Interval(u(2026, 3, 8, 8, 30), u(2026, 3, 8, 9))
    ]


def test_window_starting_in_repeated_hour_takes_first_occurrence() -> None:
    # 01:30 happens twice on 2026-11-01 in Chicago; the first (CDT) is 06:30Z. 03:00 CST is 09:00Z.
    assert expand_one("America/Chicago", "01:30-03:00", date(2026, 11, 1)) == [
        Interval(u(2026, 11, 1, 6, 30), u(2026, 11, 1, 9))
    ]


def test_window_across_midnight_on_fall_back_night_lasts_five_hours() -> None:
    # Saturday 22:00 CDT (03:00Z) to Sunday 02:00 CST (08:00Z): the clock repeats an hour in between.
    assert expand_one("America/Chicago", "22:00-02:00", date(2026, 10, 31)) == [
        Interval(u(2026, 11, 1, 3), u(2026, 11, 1, 8))
    ]


def test_eu_changes_on_its_own_date() -> None:
    # Berlin springs forward 2026-03-29 at 02:00 CET; the US already changed on 03-08.
    assert expand_one("Europe/Berlin", "01:00-04:00", date(2026, 3, 29)) == [
        Interval(u(2026, 3, 29, 0), u(2026, 3, 29, 2))
    ]
    assert expand_one("Europe/Berlin", "09:00-10:00", date(2026, 3, 20)) == [
        Interval(u(2026, 3, 20, 8), u(2026, 3, 20, 9))
    ]
    # Between the US (03-08) and EU (03-29) changes, Chicago-Berlin is 6 hours apart, not 7.
    assert expand_one("America/Chicago", "09:00-10:00", date(2026, 3, 20)) == [
        Interval(u(2026, 3, 20, 14), u(2026, 3, 20, 15))
    ]
    # Autumn: EU back on 10-25, US on 11-01.
    assert expand_one("Europe/London", "09:00-10:00", date(2026, 10, 26)) == [
        Interval(u(2026, 10, 26, 9), u(2026, 10, 26, 10))
    ]


@pytest.mark.parametrize("day", [date(2026, 4, 5), date(2026, 11, 1), date(2026, 3, 8), date(2026, 10, 25)])
def test_mexico_city_has_no_dst_since_2022(day: date) -> None:
    assert expand_one("America/Mexico_City", "09:00-10:00", day) == [
        Interval(
            datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
            datetime(day.year, day.month, day.day, 16, tzinfo=UTC),
        )
    ]


def test_sydney_dst_ends_in_april() -> None:
    # AEDT (+11) until 2026-04-05 03:00, then AEST (+10).
    assert expand_one("Australia/Sydney", "09:00-10:00", date(2026, 4, 4)) == [
        Interval(u(2026, 4, 3, 22), u(2026, 4, 3, 23))
    ]
    assert expand_one("Australia/Sydney", "09:00-10:00", date(2026, 4, 6)) == [
        Interval(u(2026, 4, 5, 23), u(2026, 4, 6, 0))
    ]
    # The repeated hour on the change day: 02:00-03:00 runs from 02:00 AEDT (first) to 03:00 AEST: two hours.
    assert expand_one("Australia/Sydney", "02:00-03:00", date(2026, 4, 5)) == [
        Interval(u(2026, 4, 4, 15), u(2026, 4, 4, 17))
    ]


def test_half_hour_and_45_minute_zones() -> None:
    assert expand_one("Asia/Kolkata", "17:30-18:30", date(2026, 11, 3)) == [
        Interval(u(2026, 11, 3, 12), u(2026, 11, 3, 13))
    ]
    assert expand_one("Asia/Kathmandu", "09:00-10:00", date(2026, 11, 3)) == [
        Interval(u(2026, 11, 3, 3, 15), u(2026, 11, 3, 4, 15))
    ]
    # Chatham is +13:45 in its summer (November).
    assert expand_one("Pacific/Chatham", "09:00-10:00", date(2026, 11, 3)) == [
        Interval(u(2026, 11, 2, 19, 15), u(2026, 11, 2, 20, 15))
    ]
    # Lord Howe moves only 30 minutes: +11 in summer, +10:30 in winter.
    assert expand_one("Australia/Lord_Howe", "09:00-10:00", date(2026, 1, 15)) == [
        Interval(u(2026, 1, 14, 22), u(2026, 1, 14, 23))
    ]
    assert expand_one("Australia/Lord_Howe", "09:00-10:00", date(2026, 7, 15)) == [
        Interval(u(2026, 7, 14, 22, 30), u(2026, 7, 14, 23, 30))
    ]


def test_24_00_end_and_full_day_window() -> None:
    assert expand_one("UTC", "18:00-24:00", date(2026, 11, 3)) == [
        Interval(u(2026, 11, 3, 18), u(2026, 11, 4, 0))
    ]
    assert expand_one("UTC", "00:00-00:00", date(2026, 11, 3)) == [
        Interval(u(2026, 11, 3, 0), u(2026, 11, 4, 0))
    ]


def test_window_belongs_to_the_date_it_starts_on_and_holidays_skip_it() -> None:
    weekly = parse_weekly({"fri": "22:00-02:00"}, ZoneInfo("UTC"))
    # Friday 2026-11-06 only; the Saturday-morning part belongs to Friday.
    assert weekly.expand(date(2026, 11, 6), date(2026, 11, 8)) == [
        Interval(u(2026, 11, 6, 22), u(2026, 11, 7, 2))
    ]
    assert weekly.expand(date(2026, 11, 6), date(2026, 11, 8), frozenset({date(2026, 11, 6)})) == []


@pytest.mark.parametrize(
    ("key", "days"),
    [
        ("mon", (0,)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("tue-thu", (1, 2, 3)),
        ("sat,sun", (5, 6)),
        ("daily", tuple(range(7))),
    ],
)
def test_day_keys(key: str, days: tuple[int, ...]) -> None:
    assert parse_day_key(key) == days


@pytest.mark.parametrize("key", ["funday", "fri-mon", "mon-", "", "mon,,tue"])
def test_bad_day_keys(key: str) -> None:
    with pytest.raises(ValueError, match="day"):
        parse_day_key(key)


@pytest.mark.parametrize(
    "text", ["25:00-26:00", "09:60-10:00", "24:30-01:00", "9-17", "24:00-01:00", "09:00-24:01"]
)
def test_impossible_windows(text: str) -> None:
    with pytest.raises(ValueError, match="window"):
        parse_window(text)
