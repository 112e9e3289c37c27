"""Date and date-time values of one iCalendar file, and how they become UTC instants.

A value is kept as it was written (``When``): a date, or a naive wall time plus the zone its TZID (or ``Z``)
names. DATE values and floating times belong to the calendar owner's zone (spec section 4). Wall times become
instants with PEP 495 ``fold=0`` semantics (spec section 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Timezone

from readout.adapters.ics.budget import Budget
from readout.adapters.ics.durations import WrittenDuration
from readout.adapters.ics.problem import IcsProblem
from readout.adapters.ics.zones import ZoneBook, utc_instant

__all__ = ["Clock", "Length", "When"]


@dataclass(frozen=True, slots=True)
class When:
    """A DATE or DATE-TIME as written: a date, or a naive wall time in ``tz`` (None: the owner's zone)."""

    wall: date | datetime
    tz: tzinfo | None = None

    @property
    def all_day(self) -> bool:
        """True for a DATE value."""
        return not isinstance(self.wall, datetime)

    @property
    def day(self) -> date:
        """The local calendar date of the value."""
        return self.wall.date() if isinstance(self.wall, datetime) else self.wall

    def plus_days(self, days: int) -> When:
        """The same wall time ``days`` calendar days later (nominal days: 23 or 25 hours across DST)."""
        return When(self.wall + timedelta(days=days), self.tz)


@dataclass(frozen=True, slots=True)
class Length:
    """How long an occurrence lasts: whole local days first, then an exact span (RFC 5545 3.3.6)."""

    days: int = 0
    exact: timedelta = timedelta(0)

    @classmethod
    def of_duration(cls, duration: timedelta) -> Length:
        """Split a DURATION as it was written: its weeks and days are nominal, its hours, minutes and
        seconds exact (``P1D`` is one local day, ``PT24H`` exactly 24 hours, ``P1DT2H`` a day, then 2 h)."""
        if duration < timedelta(0):
            raise IcsProblem("DURATION is negative", prop="DURATION")
        days = duration.nominal_days if isinstance(duration, WrittenDuration) else 0
        return cls(days, duration - timedelta(days=days))

    @property
    def upper_bound(self) -> timedelta:
        """A span at least as long as any occurrence of this length."""
        return timedelta(days=self.days, hours=2 if self.days else 0) + self.exact


class Clock:
    """Reads the date and date-time values of one VCALENDAR and turns them into UTC instants; ``budget`` is
    what expanding the calendar may still cost (its VTIMEZONE rules included)."""

    def __init__(
        self, owner: ZoneInfo, timezones: Mapping[str, Timezone], budget: Budget | None = None
    ) -> None:
        self.owner = owner
        self.budget = budget or Budget()
        self._book = ZoneBook(timezones, self.budget)

    def when(self, value: object, tzid: str | None, name: str) -> When:
        """The parsed value of property ``name`` with its TZID parameter, as written."""
        if isinstance(value, datetime):
            if tzid:
                return When(value.replace(tzinfo=None), self.zone(tzid, name))
            if value.tzinfo is not None:
                return When(value.astimezone(UTC).replace(tzinfo=None), UTC)
            return When(value)
        if isinstance(value, date):
            return When(value)
        raise IcsProblem(f"{name} is not a DATE or DATE-TIME value", prop=name)

    def instant(self, when: When, floating_in: tzinfo | None = None) -> datetime:
        """The UTC instant of ``when``; floating times are read in ``floating_in``, else the owner's zone."""
        wall = when.wall if isinstance(when.wall, datetime) else datetime.combine(when.wall, time())
        zone = when.tz or (floating_in if isinstance(when.wall, datetime) else None) or self.owner
        return utc_instant(wall, zone)

    def wall_in(self, instant: datetime, tz: tzinfo | None) -> datetime:
        """The naive wall time of ``instant`` in ``tz`` (None: the owner's zone)."""
        return instant.astimezone(tz or self.owner).replace(tzinfo=None)

    def zone(self, tzid: str, name: str) -> tzinfo:
        """The zone the TZID parameter of property ``name`` names."""
        zone = self._book.zone(tzid)
        if zone is None:  # the TZID itself is not quoted: a producer may write anything there
            raise IcsProblem(
                f"the TZID of {name} is not a known time zone and no VTIMEZONE defines it", prop=name
            )
        return zone
