"""The contractual deadline and the earliest allowed start (spec section 3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from readout.domain.case import HolidaySet
from readout.domain.localtime import local_date, local_midnight

__all__ = ["business_days_after", "deadline", "earliest_start", "is_business_day"]


def is_business_day(day: date, holidays: HolidaySet) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def business_days_after(day: date, count: int, holidays: HolidaySet) -> list[date]:
    """The first ``count`` business days strictly after ``day``."""
    out: list[date] = []
    cursor = day
    while len(out) < count:
        cursor += timedelta(days=1)
        if is_business_day(cursor, holidays):
            out.append(cursor)
    return out


def deadline(approved_at: datetime, due_business_days: int, zone: ZoneInfo, holidays: HolidaySet) -> datetime:
    """Local midnight in ``zone`` that starts the day after the N-th business day after approval."""
    approval_day = local_date(approved_at, zone)
    last = business_days_after(approval_day, due_business_days, holidays)[-1]
    return local_midnight(last + timedelta(days=1), zone)


def earliest_start(now: datetime, approved_at: datetime, min_notice: timedelta) -> datetime:
    """max(now, approved_at) + notice: nothing can start before the notice period has run."""
    return max(now, approved_at) + min_notice
