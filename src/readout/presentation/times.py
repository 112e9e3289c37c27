"""Instants as people read them: the contract zone's local time with its city first, UTC second, and each
person's own local time where it concerns them.

With the contract zone ``America/Mexico_City`` and a fix owner in ``Asia/Kolkata``::

    slot(start, end, zone)            Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)
    instant(moment, zone)             Fri 13 Nov 09:00 Mexico City (15:00 UTC)
    deadline(moment, zone)            end of Thu 19 Nov (Mexico City) = Fri 20 Nov 06:00 UTC
    person_span(start, end, z, ref)   23:30-Wed 18 Nov 00:30 Kolkata

A day is named when it is not the day already being talked about (the contract zone's local date of the
slot), and a span whose UTC offset changes inside it (daylight saving) names both offsets. Zones are IANA
names as the case file gives them; a name that is not a known zone is read as UTC rather than failing,
because rendering never refuses what the store already holds. Day and month names are English and do not
depend on the process locale.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "city",
    "day_name",
    "deadline",
    "instant",
    "instant_in",
    "local_instant",
    "local_span",
    "person_span",
    "person_time",
    "slot",
    "utc_instant",
    "utc_span",
    "zone_of",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


@lru_cache(maxsize=512)
def zone_of(key: str) -> ZoneInfo:
    """The zone named ``key``; UTC when the name is not a zone this system knows."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=512)
def city(key: str) -> str:
    """The zone's city as people say it (CLDR exemplar city, English): ``São Paulo`` for
    ``America/Sao_Paulo``. A zone that is not a place (``UTC``, ``EST``, ``Etc/GMT+5``) keeps its name:
    CLDR would call ``EST`` "Panama", which nobody who wrote ``EST`` meant."""
    if key in _UTC_NAMES or zone_of(key).key == "UTC":
        return "UTC"
    if "/" not in key or key.startswith("Etc/"):
        return key
    from babel.dates import get_timezone_location  # 70 ms to import: only when a person reads a time

    try:
        return str(get_timezone_location(key, locale="en", return_city=True))
    except (LookupError, ValueError):
        return key.rsplit("/", 1)[-1].replace("_", " ")


def day_name(day: date) -> str:
    """``Fri 27 Nov``."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _at(moment: datetime, zone: ZoneInfo, known_day: date | None) -> str:
    """Wall time in ``zone``, with the day unless it is ``known_day``."""
    local = moment.astimezone(zone)
    return _clock(local) if local.date() == known_day else f"{day_name(local.date())} {_clock(local)}"


def _span(start: datetime, end: datetime, zone: ZoneInfo, known_day: date | None) -> str:
    """``12:00-13:00``; days named where they are not ``known_day`` (the end: not the start's day); both
    offsets named when daylight saving changes inside the span."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    head = _at(a, zone, known_day)
    tail = _at(b, zone, a.date())
    if a.utcoffset() != b.utcoffset():
        head, tail = f"{head} {a.tzname()}", f"{tail} {b.tzname()}"
    return f"{head}-{tail}"


def _local_day(moment: datetime, key: str) -> date:
    return moment.astimezone(zone_of(key)).date()


def local_instant(moment: datetime, key: str) -> str:
    """``Tue 17 Nov 12:00 Mexico City``: the wall time in ``key`` with its city."""
    return f"{_at(moment, zone_of(key), None)} {city(key)}"


def utc_instant(moment: datetime, known_day: date | None = None) -> str:
    """``Tue 17 Nov 18:00 UTC`` (``18:00 UTC`` when the UTC date is ``known_day``)."""
    return f"{_at(moment, ZoneInfo('UTC'), known_day)} UTC"


def instant_in(moment: datetime, key: str) -> str:
    """``Fri 13 Nov 09:00 (15:00 UTC)``: as ``instant`` without the city, for a column whose heading
    names the zone."""
    return f"{_at(moment, zone_of(key), None)} ({utc_instant(moment, _local_day(moment, key))})"


def instant(moment: datetime, key: str) -> str:
    """``Fri 13 Nov 09:00 Mexico City (15:00 UTC)``: contract-zone local time first, UTC second (with its
    day when the UTC date is another)."""
    return f"{local_instant(moment, key)} ({utc_instant(moment, _local_day(moment, key))})"


def local_span(start: datetime, end: datetime, key: str) -> str:
    """``Tue 17 Nov 12:00-13:00``: a slot's wall times in ``key``, without the city (see ``slot``)."""
    return _span(start, end, zone_of(key), None)


def utc_span(start: datetime, end: datetime, key: str) -> str:
    """``18:00-19:00 UTC``: a slot in UTC, its day named when it is not the slot's local day in ``key``."""
    return f"{_span(start, end, ZoneInfo('UTC'), _local_day(start, key))} UTC"


def slot(start: datetime, end: datetime, key: str) -> str:
    """``Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)``; a span across local midnight names both
    days (``Tue 17 Nov 23:30-Wed 18 Nov 00:30 Kolkata (...)``)."""
    return f"{local_span(start, end, key)} {city(key)} ({utc_span(start, end, key)})"


def person_time(moment: datetime, key: str, reference: str | None = None) -> str:
    """``23:30 Kolkata``: someone's own wall time, with the day when it is not the day of ``moment`` in
    the ``reference`` (contract) zone."""
    known = _local_day(moment, reference) if reference else None
    return f"{_at(moment, zone_of(key), known)} {city(key)}"


def person_span(
    start: datetime, end: datetime, key: str, reference: str | None = None, with_city: bool = True
) -> str:
    """``23:30-Wed 18 Nov 00:30 Kolkata``: a slot in someone's own wall time, days named as in
    ``person_time`` (without the city for a column whose heading names it)."""
    known = _local_day(start, reference) if reference else None
    span = _span(start, end, zone_of(key), known)
    return f"{span} {city(key)}" if with_city else span


def deadline(moment: datetime, key: str, with_utc: bool = True) -> str:
    """``end of Fri 27 Nov (São Paulo) = Sat 28 Nov 03:00 UTC``.

    A contract deadline is the local midnight that starts the day after the last business day, so it is
    read as the end of that last day. Where midnight does not exist (a daylight-saving change at 00:00) the
    deadline is the instant the day starts (the ``fold=0`` rule), and it still reads as the end of the day
    before. Any other instant reads as ``before Fri 27 Nov 15:00 (São Paulo)``."""
    zone = zone_of(key)
    local = moment.astimezone(zone)
    day = local.date()
    starts = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    if starts == moment.astimezone(UTC):
        text = f"end of {day_name(day - timedelta(days=1))} ({city(key)})"
    else:
        text = f"before {day_name(day)} {_clock(local)} ({city(key)})"
    return f"{text} = {utc_instant(moment)}" if with_utc else text
