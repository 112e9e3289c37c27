"""Local wall time to UTC instants, the one place where local time becomes an instant.

Rule (spec section 2): ``zoneinfo`` with ``fold=0``. A wall time inside a spring-forward gap takes the offset
in force before the gap; an ambiguous wall time takes its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["local_date", "local_instant", "local_midnight"]


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
