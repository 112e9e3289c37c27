"""Weekly windows: ``{mon-fri: "08:00-18:00"}`` parsed, and expanded into UTC intervals.

A window belongs to the local date it starts on; an end at or before the start runs past midnight into the
next day; ``24:00`` is allowed as an end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.intervals import Interval, from_micros
from readout.domain.localtime import DAY_US, MINUTE_US, offsets, wall_micros

__all__ = [
    "DAY_NAMES",
    "WeeklyWindows",
    "Window",
    "clear_cache",
    "parse_day_key",
    "parse_weekly",
    "parse_window",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Window:
    """Minutes after local midnight of the day it starts on; ``end`` may exceed 1440 (past midnight)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class WeeklyWindows:
    """Windows per ISO weekday index (0 = Monday) in one time zone."""

    zone: ZoneInfo
    by_weekday: tuple[tuple[Window, ...], ...]

    def expand(self, first: date, last: date, skip: frozenset[date] = frozenset()) -> list[Interval]:
        """UTC intervals of every window starting on a local date in ``[first, last]`` not in ``skip``."""
        starts, ends = self.expand_micros(first, last, skip)
        return [
            Interval(from_micros(a), from_micros(b))
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]

    def expand_micros(
        self, first: date, last: date, skip: frozenset[date] = frozenset()
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``expand`` as arrays of UTC microseconds, in date then window order (not merged).

        Wall times become instants with the fold=0 rule of ``localtime.local_instant``; a window that a
        transition makes empty or negative is dropped.
        """
        count = last.toordinal() - first.toordinal() + 1
        day, start, end = _week_template(self, first.weekday())
        if count <= 0 or not len(day):
            starts = ends = np.zeros(0, dtype=np.int64)
        else:
            weeks = -(-count // 7)
            day = (day[None, :] + 7 * np.arange(weeks, dtype=np.int64)[:, None]).ravel()
            keep = day < count
            if skip:
                skipped = np.zeros(count, dtype=bool)
                skipped[[d.toordinal() - first.toordinal() for d in skip if first <= d <= last]] = True
                keep &= ~skipped[np.minimum(day, count - 1)]
            midnight = wall_micros(first) + day[keep] * DAY_US
            table = offsets(self.zone, wall_micros(first) - DAY_US, wall_micros(last) + 3 * DAY_US)
            starts = table.to_instant(midnight + np.tile(start, weeks)[keep])
            ends = table.to_instant(midnight + np.tile(end, weeks)[keep])
            kept = starts < ends
            starts, ends = starts[kept], ends[kept]
        return starts, ends


def clear_cache() -> None:
    """Forget the cached one-week templates."""
    _week_template.cache_clear()


@lru_cache(maxsize=512)
def _week_template(
    weekly: WeeklyWindows, first_weekday: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """One week of windows from a day with weekday ``first_weekday``: day index (0-6), wall start and end in
    microseconds after that day's midnight, in day then window order."""
    rows = [
        (i, w.start * MINUTE_US, w.end * MINUTE_US)
        for i in range(7)
        for w in weekly.by_weekday[(first_weekday + i) % 7]
    ]
    day, start, end = (np.array([r[k] for r in rows], dtype=np.int64) for k in range(3))
    day.flags.writeable = start.flags.writeable = end.flags.writeable = False  # shared by every caller
    return day, start, end


def parse_day_key(key: str) -> tuple[int, ...]:
    """Weekday indexes named by ``mon``, ``mon-fri``, ``sat,sun`` or ``daily``; ValueError otherwise."""
    key = key.strip().lower()
    if key == "daily":
        return tuple(range(7))
    days: list[int] = []
    for part in key.split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            if lo not in DAY_NAMES or hi not in DAY_NAMES or DAY_NAMES.index(lo) > DAY_NAMES.index(hi):
                raise ValueError(f"bad day range {part!r}")
            days.extend(range(DAY_NAMES.index(lo), DAY_NAMES.index(hi) + 1))
        elif part in DAY_NAMES:
            days.append(DAY_NAMES.index(part))
        else:
            raise ValueError(f"unknown day key {part!r}")
    return tuple(days)


def parse_window(text: str) -> Window:
    """Parse ``"HH:MM-HH:MM"``; ``24:00`` only as an end; an end at or before the start wraps."""
    m = _WINDOW.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a window of the form HH:MM-HH:MM")
    sh, sm, eh, em = (int(g) for g in m.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
        raise ValueError(
            f"{text!r} is not a valid time window (hours 00-23, minutes 00-59, 24:00 only as end)"
        )
    start, end = sh * 60 + sm, eh * 60 + em
    if end <= start:
        end += 1440
    return Window(start, end)


def parse_weekly(spec: Mapping[str, str | Sequence[str]], zone: ZoneInfo) -> WeeklyWindows:
    """Build WeeklyWindows from the case-file mapping; raises ValueError naming the bad key or window."""
    per_day: list[list[Window]] = [[] for _ in range(7)]
    for key, value in spec.items():
        days = parse_day_key(key)
        texts: Iterable[str] = [value] if isinstance(value, str) else value
        windows = [parse_window(t) for t in texts]
        for d in days:
            per_day[d].extend(windows)
    return WeeklyWindows(zone, tuple(tuple(sorted(ws, key=lambda w: w.start)) for ws in per_day))
