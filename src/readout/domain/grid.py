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
        for minute in range(0, 1440, granularity):
            for instant in _instants_of(day, minute, zone):
                if earliest <= instant <= latest:
                    found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


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
