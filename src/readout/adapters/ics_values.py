"""Date and date-time values of one iCalendar file, and how they become UTC instants.

A value is kept as it was written (``When``): a date, or a naive wall time plus the zone its TZID (or ``Z``)
names. DATE values and floating times belong to the calendar owner's zone (spec section 4). Wall times become
instants with PEP 495 ``fold=0`` semantics (spec section 2), also for zones defined only by a VTIMEZONE.

TZIDs are resolved here, per file, and never through icalendar's process-wide timezone cache: that cache
keeps the first VTIMEZONE it ever saw for a name, and silently reads an unknown TZID as a floating time.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache

from icalendar import Component, Timezone
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

__all__ = ["Clock", "IcsProblem", "Length", "When"]


class IcsProblem(Exception):
    """Something in the file cannot be read. The text is ours: it never quotes event content."""

    def __init__(self, problem: str, component: Component | None = None, prop: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.component = component
        self.prop = prop

    def within(self, component: Component) -> IcsProblem:
        """The same problem, located in ``component`` unless it already has a place."""
        if self.component is None:
            self.component = component
        return self


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
        """Split a DURATION: its day part is nominal, the rest exact (``PT24H`` reads as ``P1D``)."""
        if duration < timedelta(0):
            raise IcsProblem("DURATION is negative", prop="DURATION")
        return cls(duration.days, duration - timedelta(days=duration.days))

    @property
    def upper_bound(self) -> timedelta:
        """A span at least as long as any occurrence of this length."""
        return timedelta(days=self.days, hours=2 if self.days else 0) + self.exact


class Clock:
    """Reads the date and date-time values of one VCALENDAR and turns them into UTC instants."""

    def __init__(self, owner: zoneinfo.ZoneInfo, timezones: Mapping[str, Timezone]) -> None:
        self.owner = owner
        self._definitions = timezones
        self._zones: dict[str, tzinfo] = {}

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
        return _instant(wall, zone)

    def wall_in(self, instant: datetime, tz: tzinfo | None) -> datetime:
        """The naive wall time of ``instant`` in ``tz`` (None: the owner's zone)."""
        return instant.astimezone(tz or self.owner).replace(tzinfo=None)

    def zone(self, tzid: str, name: str) -> tzinfo:
        """The zone the TZID of property ``name`` names: an IANA name, else the file's VTIMEZONE, else a
        Windows or vendor name (``Pacific Standard Time``, ``/mozilla.org/Europe/Berlin``)."""
        if tzid not in self._zones:
            zone = _iana(tzid) or self._defined(tzid) or _iana(_known_alias(tzid))
            if zone is None:
                problem = f"TZID {_shown(tzid)} is not a known time zone and no VTIMEZONE defines it"
                raise IcsProblem(problem, prop=name)
            self._zones[tzid] = zone
        return self._zones[tzid]

    def _defined(self, tzid: str) -> tzinfo | None:
        definition = self._definitions.get(tzid) or self._definitions.get(tzid.strip("/"))
        if definition is None:
            return None
        # Library messages may quote the file: the problem is reported in our words, outside the handler.
        with contextlib.suppress(Exception):
            return _DayCachedZone(definition.to_tz(lookup_tzid=False))
        raise IcsProblem(f"the VTIMEZONE for TZID {_shown(tzid)} cannot be read", definition)


def _shown(tzid: str) -> str:
    return repr(tzid if len(tzid) <= 60 else tzid[:57] + "...")


def _iana(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name or name not in _iana_names():
        return None
    return zoneinfo.ZoneInfo(name)


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _known_alias(tzid: str) -> str | None:
    """The IANA name behind a Windows zone name or a ``/vendor/Area/City`` globally unique TZID."""
    cleaned = tzid.strip().strip("/")
    if cleaned in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[cleaned]
    parts = cleaned.split("/")
    for first in range(1, len(parts)):
        candidate = "/".join(parts[first:])
        if candidate in _iana_names():
            return candidate
    return None


def _instant(wall: datetime, zone: tzinfo) -> datetime:
    if isinstance(zone, _DayCachedZone):
        return zone.instant(wall)
    # zoneinfo follows PEP 495: fold=0 picks the offset before a gap and the first of two repeated times.
    return wall.replace(tzinfo=zone).astimezone(UTC)


class _DayCachedZone(tzinfo):
    """A VTIMEZONE-defined zone (a dateutil ``tzical``) read with the spec's fold=0 rule, cached per day.

    dateutil reads a wall time inside a spring-forward gap with the offset after the gap; the spec wants the
    one before. Offsets are looked up once per local day, and resolved in detail only on transition days.
    """

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._days: dict[date, timedelta | None] = {}

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None if dt is None else self.instant(dt.replace(tzinfo=None)) - dt.replace(tzinfo=UTC)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        local = dt.replace(tzinfo=UTC).astimezone(self.zone)
        return local.replace(tzinfo=self)

    def instant(self, wall: datetime) -> datetime:
        """The UTC instant of a naive wall time in this zone (fold=0)."""
        steady = self._steady_offset(wall.date())
        if steady is not None:
            return (wall - steady).replace(tzinfo=UTC)
        # Transitions are months apart: two days either side is safely before and after this day's one.
        before, after = self._offset_at(wall - timedelta(days=2)), self._offset_at(wall + timedelta(days=2))
        fits = [wall - offset for offset in (before, after) if self._wall(wall - offset) == wall]
        return (min(fits) if fits else wall - before).replace(tzinfo=UTC)

    def _steady_offset(self, day: date) -> timedelta | None:
        """The offset in force all day long, or None on a day with a transition."""
        if day not in self._days:
            # Sampling 14 hours beyond the local day covers it whatever the zone's offset.
            start = datetime.combine(day, time())
            first = self._offset_at(start - timedelta(hours=14))
            last = self._offset_at(start + timedelta(hours=38))
            self._days[day] = first if first == last else None
        return self._days[day]

    def _offset_at(self, utc_wall: datetime) -> timedelta:
        offset = utc_wall.replace(tzinfo=UTC).astimezone(self.zone).utcoffset()
        return offset if offset is not None else timedelta(0)

    def _wall(self, utc_wall: datetime) -> datetime:
        return utc_wall.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None)
