"""Candidate starts: the grid of instants a readout may begin at (spec section 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.intervals import from_micros, to_micros

__all__ = ["candidate_start_micros", "candidate_starts"]

_MINUTE_US = 60_000_000


def candidate_starts(
    earliest: datetime, deadline: datetime, duration: timedelta, zone: ZoneInfo, granularity: int
) -> list[datetime]:
    """Every instant ``s`` with ``earliest <= s`` and ``s + duration <= deadline`` whose local wall time in
    ``zone`` is a whole multiple of ``granularity`` minutes after local midnight.

    Both occurrences of a repeated wall time (fall back) are instants with that local time, so both count;
    wall times inside a spring-forward gap name no instant and are skipped.
    """
    micros = candidate_start_micros(earliest, deadline, duration, zone, granularity)
    return [from_micros(int(m)) for m in micros]


def candidate_start_micros(
    earliest: datetime, deadline: datetime, duration: timedelta, zone: ZoneInfo, granularity: int
) -> NDArray[np.int64]:
    """``candidate_starts`` as sorted microseconds since the epoch (no datetime per start)."""
    latest = deadline - duration
    if latest < earliest:
        return np.zeros(0, dtype=np.int64)
    days: list[NDArray[np.int64]] = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last = latest.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        days.append(_day_starts(day, zone, granularity))
        day += timedelta(days=1)
    found = np.unique(np.concatenate(days))
    return found[(found >= to_micros(earliest)) & (found <= to_micros(latest))]


def _day_starts(day: date, zone: ZoneInfo, granularity: int) -> NDArray[np.int64]:
    """Grid instants of one local day; plain arithmetic unless the UTC offset changes that day."""
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    if midnight.utcoffset() == next_midnight.utcoffset() and _fold_free(midnight, next_midnight):
        return to_micros(midnight) + np.arange(0, 1440, granularity, dtype=np.int64) * _MINUTE_US
    instants = [to_micros(i) for m in range(0, 1440, granularity) for i in _instants_of(day, m, zone)]
    return np.array(instants, dtype=np.int64)


def _fold_free(midnight: datetime, next_midnight: datetime) -> bool:
    """True when the local day is exactly 24 hours long (no transition hidden inside it)."""
    return next_midnight.astimezone(UTC) - midnight.astimezone(UTC) == timedelta(days=1)


def _instants_of(day: date, minute: int, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants whose wall time in ``zone`` is ``day`` at ``minute`` (zero, one or two)."""
    wall = time(minute // 60, minute % 60)
    out: list[datetime] = []
    for fold in (0, 1):
        local = datetime.combine(day, wall, zone).replace(fold=fold)
        instant = local.astimezone(UTC)
        back = instant.astimezone(zone)
        if back.replace(tzinfo=None) == local.replace(tzinfo=None) and instant not in out:
            out.append(instant)
    return out
