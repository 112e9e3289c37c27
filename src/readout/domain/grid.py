"""Candidate starts: the grid of instants a readout may begin at (spec section 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["candidate_starts"]


def candidate_starts(
    earliest: datetime, deadline: datetime, duration: timedelta, zone: ZoneInfo, granularity: int
) -> list[datetime]:
    """Every instant ``s`` with ``earliest <= s`` and ``s + duration <= deadline`` whose local wall time in
    ``zone`` is a whole multiple of ``granularity`` minutes after local midnight.

    Both occurrences of a repeated wall time (fall back) are instants with that local time, so both count;
    wall times inside a spring-forward gap name no instant and are skipped.
    """
    latest = deadline - duration
    if latest < earliest:
        return []
    found: set[datetime] = set()
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last = latest.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        found.update(s for s in _day_starts(day, zone, granularity) if earliest <= s <= latest)
        day += timedelta(days=1)
    return sorted(found)


def _day_starts(day: date, zone: ZoneInfo, granularity: int) -> list[datetime]:
    """Grid instants of one local day; plain arithmetic unless the UTC offset changes that day."""
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    if midnight.utcoffset() == next_midnight.utcoffset() and _fold_free(midnight, next_midnight):
        start = midnight.astimezone(UTC)
        return [start + timedelta(minutes=m) for m in range(0, 1440, granularity)]
    return [instant for m in range(0, 1440, granularity) for instant in _instants_of(day, m, zone)]


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
