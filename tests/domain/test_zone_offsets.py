"""Array conversions and the grid agree with zoneinfo itself in zones with unusual transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from readout.domain.grid import candidate_starts
from readout.domain.intervals import Interval, from_micros, to_micros
from readout.domain.localtime import local_instant, offsets, wall_micros
from readout.domain.weekly import WeeklyWindows, parse_weekly

# (zone, a date range around one of its transitions): 30-minute DST (Lord Howe), a skipped day (Samoa
# 2011), midnight transitions (Santiago, Havana), a repeated midnight hour (Asuncion), plain US and EU DST.
ODD = [
    ("Australia/Lord_Howe", date(2026, 4, 2)),
    ("Australia/Lord_Howe", date(2026, 10, 2)),
    ("Pacific/Apia", date(2011, 12, 28)),
    ("America/Santiago", date(2026, 4, 2)),
    ("America/Santiago", date(2026, 9, 4)),
    ("America/Havana", date(2026, 3, 6)),
    ("America/Asuncion", date(2024, 3, 21)),
    ("America/Chicago", date(2026, 10, 30)),
    ("Europe/Dublin", date(2026, 3, 27)),
    ("Asia/Kolkata", date(2026, 3, 27)),
]


def _brute_grid(earliest: datetime, latest: datetime, zone: ZoneInfo, step: int) -> list[datetime]:
    """Every minute between the bounds whose local wall time is a whole step after local midnight."""
    out = []
    moment = earliest
    while moment <= latest:
        local = moment.astimezone(zone)
        if local.second == 0 and (local.hour * 60 + local.minute) % step == 0:
            out.append(moment)
        moment += timedelta(minutes=1)
    return out


@pytest.mark.parametrize(("zone_key", "around"), ODD)
@pytest.mark.parametrize("step", [5, 15, 60])
def test_grid_equals_a_minute_by_minute_scan(zone_key: str, around: date, step: int) -> None:
    zone = ZoneInfo(zone_key)
    earliest = datetime.combine(around, time(7, 3), UTC)
    deadline = earliest + timedelta(days=4)
    got = candidate_starts(earliest, deadline, timedelta(minutes=45), zone, step)
    assert got == _brute_grid(earliest, deadline - timedelta(minutes=45), zone, step)


@pytest.mark.parametrize(("zone_key", "around"), ODD)
def test_wall_to_instant_follows_fold_zero_for_every_quarter_hour(zone_key: str, around: date) -> None:
    zone = ZoneInfo(zone_key)
    days = [around + timedelta(days=d) for d in range(-1, 5)]
    minutes = range(0, 2 * 1440, 15)  # windows may end past midnight
    walls = np.array([wall_micros(day) + m * 60_000_000 for day in days for m in minutes], dtype=np.int64)
    table = offsets(zone, datetime.combine(days[0], time(0), UTC), datetime.combine(days[-1], time(0), UTC))
    expected = [to_micros(local_instant(day, m, zone)) for day in days for m in minutes]
    assert table.to_instant(walls).tolist() == expected


@pytest.mark.parametrize(("zone_key", "around"), ODD)
def test_instant_to_wall_matches_astimezone(zone_key: str, around: date) -> None:
    zone = ZoneInfo(zone_key)
    start = to_micros(datetime.combine(around, time(0), UTC))
    instants = np.arange(start, start + 4 * 86_400_000_000, 7 * 60_000_000, dtype=np.int64)
    table = offsets(zone, int(instants[0]), int(instants[-1]))
    naive_epoch = datetime(1970, 1, 1)
    expected = [
        (from_micros(int(i)).astimezone(zone).replace(tzinfo=None) - naive_epoch) // timedelta(microseconds=1)
        for i in instants
    ]
    assert table.to_wall(instants).tolist() == expected


def _expand_reference(
    weekly: WeeklyWindows, first: date, last: date, skip: frozenset[date]
) -> list[Interval]:
    """Window by window with zoneinfo, as the expansion was first written."""
    out = []
    day = first
    while day <= last:
        if day not in skip:
            for w in weekly.by_weekday[day.weekday()]:
                start, end = local_instant(day, w.start, weekly.zone), local_instant(day, w.end, weekly.zone)
                if start < end:
                    out.append(Interval(start, end))
        day += timedelta(days=1)
    return out


@pytest.mark.parametrize(("zone_key", "around"), ODD)
@pytest.mark.parametrize(
    "spec",
    [
        {"mon-fri": "09:00-17:00"},
        {"daily": ["00:00-02:30", "01:00-03:00", "23:30-01:15"]},  # overlapping, past midnight
        {"sat,sun": "00:00-24:00", "wed": ["22:00-06:00"]},
    ],
)
def test_array_expansion_equals_window_by_window(
    zone_key: str, around: date, spec: dict[str, str | list[str]]
) -> None:
    weekly = parse_weekly(spec, ZoneInfo(zone_key))
    first, last = around - timedelta(days=9), around + timedelta(days=12)
    skip = frozenset({around, around + timedelta(days=2), last + timedelta(days=5)})
    for hole in (frozenset(), skip):
        assert weekly.expand(first, last, hole) == _expand_reference(weekly, first, last, hole)
