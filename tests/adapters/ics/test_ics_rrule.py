"""The window-bounded RRULE expansion gives exactly what dateutil gives walking the rule from DTSTART."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from dateutil.rrule import rrule, rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import vRecur

from readout.adapters.ics.rrule import rule_walls

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def brute_force(text: str, start: datetime, low: datetime, high: datetime) -> list[datetime]:
    return list(rrulestr(text, dtstart=start).between(low, high, inc=True))


def walls(text: str, start: datetime, low: datetime, high: datetime) -> list[datetime]:
    return rule_walls(vRecur.from_ical(text), start, low, high)


@st.composite
def rules(draw: st.DrawFn) -> str:
    """RRULEs of every FREQ down to HOURLY, with the BYxxx parts calendar producers write."""
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]))
    parts = {"FREQ": freq}
    if draw(st.booleans()):
        parts["INTERVAL"] = str(draw(st.integers(1, 5)))
    if draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
            days = [f"{draw(st.sampled_from([1, 2, 3, -1]))}{day}" for day in days]
        parts["BYDAY"] = ",".join(days)
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        monthdays = draw(
            st.lists(st.sampled_from([1, 5, 15, 28, 31, -1]), min_size=1, max_size=2, unique=True)
        )
        parts["BYMONTHDAY"] = ",".join(map(str, monthdays))
    if freq == "YEARLY" and draw(st.booleans()):
        parts["BYMONTH"] = ",".join(
            map(str, draw(st.lists(st.integers(1, 12), min_size=1, max_size=2, unique=True)))
        )
    if freq == "YEARLY" and "BYMONTH" not in parts and "BYMONTHDAY" not in parts and draw(st.booleans()):
        parts["BYWEEKNO"] = str(draw(st.sampled_from([1, 20, 52, 53, -1])))
    if freq != "HOURLY" and draw(st.booleans()):
        parts["BYHOUR"] = ",".join(
            map(str, draw(st.lists(st.integers(0, 23), min_size=1, max_size=2, unique=True)))
        )
    if freq in ("MONTHLY", "WEEKLY") and "," in parts.get("BYDAY", "") and draw(st.booleans()):
        parts["BYSETPOS"] = str(draw(st.sampled_from([1, 2, -1])))
    if freq == "WEEKLY" and draw(st.booleans()):
        parts["WKST"] = draw(st.sampled_from(WEEKDAYS))
    if draw(st.booleans()):
        parts["COUNT"] = str(draw(st.integers(1, 8000)))
    return ";".join(f"{key}={value}" for key, value in parts.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 10, 1)),
    st.integers(0, 6000),
    st.integers(1, 40),
)
def test_restarted_rule_matches_walking_it_from_dtstart(
    text: str, start: datetime, ahead: int, days: int
) -> None:
    start = start.replace(microsecond=0)
    low = start + timedelta(days=ahead, hours=ahead % 7)
    high = low + timedelta(days=days)
    assert walls(text, start, low, high) == brute_force(text, start, low, high)


def test_counted_weekly_rule_restarted_mid_series_keeps_its_count() -> None:
    # Tue/Thu from Tue 2011-11-08, two a week: occurrence 1564 is the Thursday of week 782, which starts
    # 781 weeks (5467 days) later on Tue 2026-10-27: Thu 2026-10-29.
    start = datetime(2011, 11, 8, 9)
    text = "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=1564"
    low, high = datetime(2026, 10, 19), datetime(2026, 11, 9)
    assert walls(text, start, low, high) == brute_force(text, start, low, high)
    assert walls(text, start, low, high)[-1] == datetime(2026, 10, 29, 9)


def test_monthly_rule_on_the_31st_keeps_skipping_short_months() -> None:
    start = datetime(2012, 1, 31, 9)
    low, high = datetime(2026, 8, 20), datetime(2026, 12, 5)
    assert walls("FREQ=MONTHLY", start, low, high) == [datetime(2026, 8, 31, 9), datetime(2026, 10, 31, 9)]


@st.composite
def monthly_counted_rules(draw: st.DrawFn) -> str:
    """MONTHLY COUNT rules, countable ones (fixed days a month) and their near misses (5th weekday, 29th+)."""
    parts = {"FREQ": "MONTHLY", "COUNT": str(draw(st.integers(1, 400)))}
    if draw(st.booleans()):
        parts["INTERVAL"] = str(draw(st.integers(1, 4)))
    kind = draw(st.sampled_from(["implied", "weekdays", "monthdays"]))
    if kind == "weekdays":
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        ordinals = st.sampled_from([1, 2, 3, 4, 5, -1, -2, -4, -5])
        parts["BYDAY"] = ",".join(
            f"{draw(ordinals)}{day}" if draw(st.integers(0, 9)) else day for day in days
        )
    elif kind == "monthdays":
        monthdays = st.sampled_from([1, 5, 15, 28, 29, 31, -1, -3, -28, -29])
        parts["BYMONTHDAY"] = ",".join(
            map(str, draw(st.lists(monthdays, min_size=1, max_size=2, unique=True)))
        )
    if draw(st.booleans()):
        parts["BYHOUR"] = ",".join(map(str, draw(st.lists(st.integers(0, 23), min_size=1, max_size=2))))
    return ";".join(f"{key}={value}" for key, value in parts.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    monthly_counted_rules(),
    st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2026, 10, 1)),
    st.integers(-40, 11000),
    st.integers(1, 90),
)
def test_old_monthly_count_rule_restarted_by_counting_months_matches_walking_it(
    text: str, start: datetime, ahead: int, days: int
) -> None:
    start = start.replace(second=0, microsecond=0)
    low = start + timedelta(days=ahead)
    high = low + timedelta(days=days)
    assert walls(text, start, low, high) == brute_force(text, start, low, high)


def occurrences_walked(monkeypatch: pytest.MonkeyPatch, text: str, start: datetime, window: Window) -> int:
    """How many occurrences dateutil generates while ``rule_walls`` reads one window: the work it does."""
    walked = 0
    original = rrule._iter

    def counting(self: rrule) -> Iterator[datetime]:
        nonlocal walked
        for moment in original(self):
            walked += 1
            yield moment

    with monkeypatch.context() as patch:
        patch.setattr(rrule, "_iter", counting)
        walls(text, start, *window)
    return walked


Window = tuple[datetime, datetime]


def test_fifteen_year_old_monthly_count_rule_is_not_walked_from_its_dtstart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # First Thursday, COUNT=200, from November 2011: the 181st and 182nd occurrences fall in the window.
    text, window = "FREQ=MONTHLY;BYDAY=1TH;COUNT=200", (datetime(2026, 10, 19), datetime(2026, 12, 5))
    old, new = datetime(2011, 11, 3, 9), datetime(2026, 10, 1, 9)
    assert walls(text, old, *window) == brute_force(text, old, *window)
    assert walls(text, old, *window) == [datetime(2026, 11, 5, 9), datetime(2026, 12, 3, 9)]
    # Walking from DTSTART generates 183 occurrences; restarted by counting months, about what a new rule takes.
    walked_old = occurrences_walked(monkeypatch, text, old, window)
    assert walked_old <= 2 * occurrences_walked(monkeypatch, text, new, window) + 2


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # every 7th day from a Monday is a Monday: never a Tuesday
        "FREQ=DAILY;INTERVAL=14;BYDAY=MO,TU",  # Mondays only, every other week
        "FREQ=DAILY;INTERVAL=7;BYDAY=MO;COUNT=30",
        "FREQ=HOURLY;INTERVAL=168;BYDAY=WE",  # a week of hours: never a Wednesday either
        "FREQ=DAILY;INTERVAL=21;BYDAY=SA,SU",
    ],
)
def test_rules_stepping_in_whole_weeks_stay_on_the_weekday_of_dtstart(text: str) -> None:
    start = datetime(2011, 1, 3, 15, 0)  # a Monday, fifteen years back
    low, high = datetime(2026, 11, 2), datetime(2026, 12, 31)
    assert walls(text, start, low, high) == brute_force(text, start, low, high)


@st.composite
def fine_counted_rules(draw: st.DrawFn) -> str:
    """HOURLY, MINUTELY and SECONDLY COUNT rules with only the parts that add times inside each period, so
    that every period holds as many occurrences and those skipped can be counted."""
    freq = draw(st.sampled_from(["HOURLY", "MINUTELY", "SECONDLY"]))
    parts = {"FREQ": freq, "COUNT": str(draw(st.integers(1, 5_000)))}
    if draw(st.booleans()):
        parts["INTERVAL"] = str(draw(st.integers(1, 90)))
    values = st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True)
    if freq == "HOURLY" and draw(st.booleans()):
        parts["BYMINUTE"] = ",".join(map(str, draw(values)))
    if freq != "SECONDLY" and draw(st.booleans()):
        parts["BYSECOND"] = ",".join(map(str, draw(values)))
    return ";".join(f"{key}={value}" for key, value in parts.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fine_counted_rules(),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 10, 1)),
    st.integers(0, 400_000),
    st.integers(1, 600),
)
def test_issue_9_fine_count_rules_restarted_by_counting_periods_match_walking_them(
    text: str, start: datetime, ahead: int, minutes: int
) -> None:
    # Counting the occurrences skipped lets a MINUTELY COUNT rule from 1900 start near the window; what it finds
    # there must be what dateutil finds walking every occurrence from DTSTART.
    start = start.replace(microsecond=0)
    low = start + timedelta(minutes=ahead, seconds=ahead % 61)
    high = low + timedelta(minutes=minutes)
    assert walls(text, start, low, high) == brute_force(text, start, low, high)


def test_issue_9_a_minutely_count_rule_is_restarted_in_phase_and_with_its_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From 10:15:20, every 7 minutes at :00 and :30 seconds: the first period holds one (10:15:30), each later
    # one two, so the 1,000,000th is the :00 of period 500,000 (3,500,000 minutes on) and the last.
    start, text = datetime(2019, 3, 1, 10, 15, 20), "FREQ=MINUTELY;INTERVAL=7;BYSECOND=0,30;COUNT=1000000"
    last_period = datetime(2019, 3, 1, 10, 15) + timedelta(minutes=7 * 500_000)
    low, high = last_period - timedelta(minutes=20), last_period + timedelta(minutes=20)
    assert walls(text, start, low, high) == [
        last_period - timedelta(minutes=14),
        last_period - timedelta(minutes=14, seconds=-30),
        last_period - timedelta(minutes=7),
        last_period - timedelta(minutes=7, seconds=-30),
        last_period,
    ]
    assert occurrences_walked(monkeypatch, text, start, (low, high)) < 20  # not the 999,995 before them
