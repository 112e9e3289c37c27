"""Local wall time to UTC instants, the one place where local time becomes an instant.

Rule (spec section 2): ``zoneinfo`` with ``fold=0``. A wall time inside a spring-forward gap takes the offset
in force before the gap; an ambiguous wall time takes its first occurrence.

``ZoneOffsets`` applies the same rule to many instants at once: it finds where a zone's UTC offset changes
inside a range once, and then converts arrays of microseconds with integer arithmetic (no datetime each).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.intervals import to_micros

__all__ = [
    "DAY_US",
    "MINUTE_US",
    "ZoneOffsets",
    "clear_cache",
    "local_date",
    "local_instant",
    "local_midnight",
    "offsets",
    "wall_micros",
]

MINUTE_US = 60_000_000
DAY_US = 86_400_000_000
_SECOND_US = 1_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Offset changes are looked for every 12 hours: two changes closer together than that would be missed, and
# no zone has had such a pair since zones were standardised (the previous day-by-day check had a day).
_PROBE_US = 12 * 3600 * _SECOND_US
_MARGIN_US = 3 * DAY_US


def local_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``day`` + ``minute_of_day`` minutes of wall time in ``zone`` (may exceed 1440)."""
    extra_days, minute = divmod(minute_of_day, 1440)
    wall = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60), zone)
    return wall.astimezone(UTC)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``zone``."""
    return local_instant(day, 0, zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of ``moment`` as seen in ``zone``."""
    return moment.astimezone(zone).date()


def wall_micros(day: date) -> int:
    """Local midnight of ``day`` as wall-clock microseconds (microseconds since 1970-01-01 00:00 local)."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_US


class ZoneOffsets:
    """The UTC offsets of one zone over a range of instants, for converting arrays of microseconds.

    ``offsets[k]`` is in force from ``changes[k - 1]`` (inclusive) to ``changes[k]`` (exclusive). Wall-clock
    microseconds count from 1970-01-01 00:00 local time, so ``wall = instant + offset``.
    """

    __slots__ = ("changes", "offsets", "thresholds")

    def __init__(self, zone: ZoneInfo, low: int, high: int) -> None:
        changes: list[int] = []
        offsets = [_offset(zone, low)]
        at = low
        while at < high:
            nxt = min(at + _PROBE_US, high)
            if _offset(zone, nxt) != offsets[-1]:
                change = _first_change(zone, at, nxt, offsets[-1])
                changes.append(change)
                offsets.append(_offset(zone, change))
                at = change
            else:
                at = nxt
        self.changes = np.array(changes, dtype=np.int64)
        self.offsets = np.array(offsets, dtype=np.int64)
        # A wall time is read with the offset before a change until the later of the two readings of the
        # change instant: that is fold=0 (gap: the offset before it; repeated hour: the first occurrence).
        self.thresholds = self.changes + np.maximum(self.offsets[:-1], self.offsets[1:])

    def to_wall(self, instants: NDArray[np.int64]) -> NDArray[np.int64]:
        """Wall-clock microseconds of UTC instants."""
        return instants + self.offsets[np.searchsorted(self.changes, instants, side="right")]

    def to_instant(self, walls: NDArray[np.int64]) -> NDArray[np.int64]:
        """UTC instants of wall-clock microseconds under the fold=0 rule (as ``local_instant``)."""
        return walls - self.offsets[np.searchsorted(self.thresholds, walls, side="right")]

    def pieces(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """``[first, last]`` cut where the offset changes: (first, last, offset) with ``last`` inclusive."""
        out: list[tuple[int, int, int]] = []
        bounds = [int(c) for c in self.changes if first < c <= last]
        k = int(np.searchsorted(self.changes, first, side="right"))
        lo = first
        for change in bounds:
            out.append((lo, change - 1, int(self.offsets[k])))
            lo, k = change, k + 1
        out.append((lo, last, int(self.offsets[k])))
        return out


def offsets(zone: ZoneInfo, low: datetime | int, high: datetime | int) -> ZoneOffsets:
    """``ZoneOffsets`` of ``zone`` covering at least ``[low, high]`` (instants or microseconds), cached."""
    lo = to_micros(low) if isinstance(low, datetime) else low
    hi = to_micros(high) if isinstance(high, datetime) else high
    # Whole UTC days plus a margin, so that nearby ranges share one cached entry.
    return _offsets(zone, (lo // DAY_US) * DAY_US - _MARGIN_US, -(-hi // DAY_US) * DAY_US + _MARGIN_US)


def clear_cache() -> None:
    """Forget the cached offset tables."""
    _offsets.cache_clear()


@lru_cache(maxsize=256)
def _offsets(zone: ZoneInfo, low: int, high: int) -> ZoneOffsets:
    return ZoneOffsets(zone, low, high)


def _offset(zone: ZoneInfo, instant: int) -> int:
    """The UTC offset in force at ``instant`` (tzdata changes offsets on whole seconds)."""
    offset = datetime.fromtimestamp(instant // _SECOND_US, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return (offset.days * 86_400 + offset.seconds) * _SECOND_US + offset.microseconds


def _first_change(zone: ZoneInfo, before: int, after: int, offset: int) -> int:
    """The first instant in ``(before, after]`` whose offset is not ``offset`` (whole seconds, as tzdata)."""
    lo, hi = before // _SECOND_US, -(-after // _SECOND_US)  # offset(lo) == offset, offset(hi) != offset
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, mid * _SECOND_US) == offset:
            lo = mid
        else:
            hi = mid
    return hi * _SECOND_US
