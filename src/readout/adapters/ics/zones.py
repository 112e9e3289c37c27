"""The time zones the TZIDs of one iCalendar file name, and zones that only a VTIMEZONE defines.

TZIDs are resolved per file, never through icalendar's process-wide cache: that cache keeps the first
VTIMEZONE it ever saw for a name, and reads an unknown TZID as a floating time without a word.

An IANA name is read with ``zoneinfo`` (Google writes IANA TZIDs beside a VTIMEZONE with the same rules).
Any other TZID is read from the file's own VTIMEZONE, as RFC 5545 says: Outlook's Windows names
(``W. Europe Standard Time``) and made-up names (``Customized Time Zone``). Only without a VTIMEZONE does a
Windows name or a ``/vendor/Area/City`` TZID fall back to its IANA equivalent.

A VTIMEZONE is interpreted here rather than by dateutil's ``tzical``, which walks every rule from its
DTSTART (Outlook writes 1601) on each lookup and reads a time in a spring-forward gap with the offset after
the gap, where the spec (section 2) wants the one before.
"""

from __future__ import annotations

import zoneinfo
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache

from icalendar import Component, Timezone, vDDDLists, vDDDTypes, vRecur, vUTCOffset
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from readout.adapters.ics.budget import Budget
from readout.adapters.ics.problem import IcsProblem
from readout.adapters.ics.rrule import rule_walls

__all__ = ["DefinedZone", "ZoneBook", "utc_instant"]

# Onsets are searched this far back, then further by factors of four (VTIMEZONE rules are yearly).
_LOOKBACK = timedelta(days=400)


class ZoneBook:
    """The zones one VCALENDAR's TZIDs name, resolved once each. Working out a VTIMEZONE's transitions
    spends from the calendar's ``budget`` like any other rule."""

    def __init__(self, definitions: Mapping[str, Timezone], budget: Budget | None = None) -> None:
        self._definitions = definitions
        self._budget = budget or Budget()
        self._zones: dict[str, tzinfo | None] = {}

    def zone(self, tzid: str) -> tzinfo | None:
        """The zone ``tzid`` names, or None when it is unknown and no VTIMEZONE defines it."""
        if tzid not in self._zones:
            definition = self._definitions.get(tzid) or self._definitions.get(tzid.strip("/"))
            iana = _iana(tzid)
            if iana is None and definition is not None:
                self._zones[tzid] = _checked(DefinedZone(definition, tzid, self._budget), definition)
            else:
                self._zones[tzid] = iana or _iana(_known_alias(tzid))
        return self._zones[tzid]


def _checked(zone: DefinedZone, definition: Timezone) -> DefinedZone:
    """The zone, once one lookup has shown that its rules can be expanded (errors point at the VTIMEZONE)."""
    try:
        zone.offset_at(datetime(2000, 1, 1))
    except IcsProblem as problem:
        raise problem.within(definition) from None
    return zone


def utc_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of a naive wall time in ``zone``, with PEP 495 ``fold=0`` (spec section 2)."""
    if isinstance(zone, DefinedZone):
        return zone.instant(wall).replace(tzinfo=UTC)
    # zoneinfo follows PEP 495: fold=0 takes the offset before a gap and the first of two repeated times.
    return wall.replace(tzinfo=zone).astimezone(UTC)


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


@dataclass(frozen=True, slots=True)
class _Observance:
    """One STANDARD or DAYLIGHT part: from each onset (a local time in ``offset_from``) on, ``offset_to``."""

    first: datetime
    offset_from: timedelta
    offset_to: timedelta
    rules: tuple[vRecur, ...]
    extra: tuple[datetime, ...]

    def onsets(self, low: datetime, high: datetime, budget: Budget) -> list[datetime]:
        """Onsets as naive UTC instants within ``[low, high]``."""
        walls = [self.first, *self.extra]
        for rule in self.rules:
            found = rule_walls(rule, self.first, low + self.offset_from, high + self.offset_from, budget)
            walls += [wall for wall in found if wall - self.offset_from <= self._until(rule)]
        return sorted(wall - self.offset_from for wall in walls if low <= wall - self.offset_from <= high)

    def latest(self, point: datetime, budget: Budget) -> datetime | None:
        """The last onset at or before ``point`` (naive UTC), looking back only as far as needed."""
        begin = self.first - self.offset_from
        span = _LOOKBACK
        while True:
            low = max(point - span, begin)
            found = self.onsets(low, point, budget)
            if found or low == begin:
                return found[-1] if found else None
            span *= 4

    def _until(self, rule: vRecur) -> datetime:
        """A rule's UNTIL as a naive UTC instant (``datetime.max`` without one)."""
        values = rule.get("UNTIL")
        if not values:
            return datetime.max
        until = values[0]
        if isinstance(until, datetime):
            return until.astimezone(UTC).replace(tzinfo=None) if until.tzinfo else until - self.offset_from
        return datetime.combine(until + timedelta(days=1), datetime.min.time()) - self.offset_from


class DefinedZone(tzinfo):
    """A zone defined by a VTIMEZONE: transitions worked out for the years asked about, and cached."""

    def __init__(self, definition: Timezone, tzid: str, budget: Budget | None = None) -> None:
        self.tzid = tzid
        self._budget = budget or Budget()
        self._observances = [_observance(part, definition) for part in definition.subcomponents]
        if not self._observances:
            raise IcsProblem("the VTIMEZONE has no STANDARD or DAYLIGHT part", definition)
        earliest = min(self._observances, key=lambda observance: observance.first - observance.offset_from)
        self._initial = earliest.offset_from
        self._years: dict[int, tuple[list[datetime], list[timedelta]]] = {}

    def offset_at(self, moment: datetime) -> timedelta:
        """The UTC offset in force at a naive UTC instant."""
        starts, offsets = self._transitions(moment.year)
        index = bisect_right(starts, moment)
        return offsets[index - 1] if index else self._initial

    def instant(self, wall: datetime) -> datetime:
        """The naive UTC instant of a naive wall time, fold=0: in a gap, the offset before it; in a
        repeated hour, the first time round. Transitions are months apart, so two days either side of the
        wall time are safely before and after any transition near it."""
        before, after = self.offset_at(wall - timedelta(days=2)), self.offset_at(wall + timedelta(days=2))
        fits = [wall - offset for offset in (before, after) if self._wall(wall - offset) == wall]
        return min(fits) if fits else wall - before

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        wall = dt.replace(tzinfo=None)
        return wall - self.instant(wall)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return self.tzid

    def fromutc(self, dt: datetime) -> datetime:
        return self._wall(dt.replace(tzinfo=None)).replace(tzinfo=self)

    def _wall(self, moment: datetime) -> datetime:
        return moment + self.offset_at(moment)

    def _transitions(self, year: int) -> tuple[list[datetime], list[timedelta]]:
        """Transitions from the year before ``year`` to the one after, with the last one before them."""
        if year not in self._years:
            low, high = datetime(max(year - 1, 1), 1, 1), datetime(min(year + 2, 9999), 1, 1)
            found: list[tuple[datetime, timedelta]] = []
            for observance in self._observances:
                found += [
                    (onset, observance.offset_to) for onset in observance.onsets(low, high, self._budget)
                ]
                earlier = observance.latest(low, self._budget)
                if earlier is not None:
                    found.append((earlier, observance.offset_to))
            found.sort(key=lambda transition: transition[0])
            self._years[year] = ([start for start, _ in found], [offset for _, offset in found])
        return self._years[year]


def _observance(part: Component, definition: Timezone) -> _Observance:
    """A STANDARD or DAYLIGHT part of a VTIMEZONE, checked for what an offset lookup needs."""
    start, offset_from, offset_to = part.get("DTSTART"), part.get("TZOFFSETFROM"), part.get("TZOFFSETTO")
    if not (
        isinstance(start, vDDDTypes)
        and isinstance(start.dt, date)
        and isinstance(offset_from, vUTCOffset)
        and isinstance(offset_to, vUTCOffset)
    ):
        raise IcsProblem("a part of the VTIMEZONE lacks a DTSTART or TZOFFSETFROM/TO", definition)
    first = start.dt if isinstance(start.dt, datetime) else datetime.combine(start.dt, datetime.min.time())
    rules = part.get("RRULE")
    rdates = part.get("RDATE")
    extra = [
        value.dt.replace(tzinfo=None)
        for group in (rdates if isinstance(rdates, list) else [rdates])
        if isinstance(group, vDDDLists)
        for value in group.dts
        if isinstance(value.dt, datetime)
    ]
    return _Observance(
        first.replace(tzinfo=None),
        offset_from.td,
        offset_to.td,
        tuple(rule for rule in (rules if isinstance(rules, list) else [rules]) if isinstance(rule, vRecur)),
        tuple(extra),
    )
