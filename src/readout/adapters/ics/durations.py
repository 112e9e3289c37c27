"""DURATION values as they were written: ``P1D`` and ``PT24H`` are not the same length (RFC 5545 3.3.6).

icalendar reads both as ``timedelta(days=1)``, but a duration's week and day parts are nominal (whole local
days: 23 or 25 hours across a DST change) and its hour, minute and second parts exact (spec section 4).
The parser (``parser.py``) reads DURATION, RDATE and FREEBUSY with the value types below, which keep the
nominal day count of every duration beside icalendar's ``timedelta`` (a ``WrittenDuration``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from icalendar.prop import vDDDLists, vDDDTypes, vPeriod

__all__ = ["WrittenDuration", "keeping_written_durations"]

# icalendar's own DURATION_REGEX: a value it reads is a value matched here.
_DURATION = re.compile(r"([-+]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?\Z")


class WrittenDuration(timedelta):
    """icalendar's ``timedelta`` for a duration, and how many whole local days (its W and D parts, signed)
    it was written with; the rest of it is exact."""

    nominal_days: int


def _written(text: str, value: timedelta) -> timedelta:
    """``value`` with the nominal day count of ``text``, the duration it was read from."""
    match = _DURATION.match(text.strip())
    if match is None:
        return value
    sign, weeks, days = match.group(1, 2, 3)
    written = WrittenDuration(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
    nominal = 7 * int(weeks or 0) + int(days or 0)
    written.nominal_days = -nominal if sign == "-" else nominal
    return written


def _kept(text: str, value: Any) -> Any:
    """A parsed DATE, DATE-TIME, DURATION or PERIOD value, its duration (if any) as written."""
    if isinstance(value, timedelta):
        return _written(text, value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], timedelta) and "/" in text:
        return (value[0], _written(text.split("/", 1)[1], value[1]))
    return value


class _Durations(vDDDTypes):
    """DURATION (and any single date or period value) with written durations kept."""

    @classmethod
    def from_ical(cls, ical: Any, timezone: Any = None) -> Any:
        value = super().from_ical(ical, timezone=timezone)  # type: ignore[no-untyped-call]  # icalendar: untyped
        return _kept(ical, value) if isinstance(ical, str) else value


class _DateLists(vDDDLists):
    """RDATE and EXDATE lists with the durations of their PERIOD values kept."""

    @staticmethod
    def from_ical(ical: Any, timezone: Any = None) -> Any:
        values = vDDDLists.from_ical(ical, timezone=timezone)  # type: ignore[no-untyped-call]
        return [_kept(text, value) for text, value in zip(ical.split(","), values, strict=True)]


class _Periods(vPeriod):
    """FREEBUSY periods with written durations kept."""

    @staticmethod
    def from_ical(ical: Any, timezone: Any = None) -> Any:
        return _kept(ical, vPeriod.from_ical(ical, timezone=timezone))  # type: ignore[no-untyped-call]


_KEEPING: dict[type, type] = {vDDDTypes: _Durations, vDDDLists: _DateLists, vPeriod: _Periods}
_NAMES = frozenset({"DURATION", "RDATE", "FREEBUSY"})


def keeping_written_durations(name: str, factory: Any) -> Any:
    """The value type to read property ``name`` with: icalendar's ``factory``, or for the properties that
    hold durations (DURATION, RDATE, FREEBUSY) its subclass that keeps them as written."""
    return _KEEPING.get(factory, factory) if name in _NAMES else factory
