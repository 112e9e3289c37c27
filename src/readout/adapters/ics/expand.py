"""VEVENT series and VFREEBUSY periods of one VCALENDAR, as UTC spans with the few traits busy time needs.

Recurrence follows RFC 5545: DTSTART is the first occurrence, RRULE and RDATE add occurrences, EXDATE
removes them, and a VEVENT with the same UID and a RECURRENCE-ID replaces one (or, with
``RANGE=THISANDFUTURE``, reshapes the later ones too). Each occurrence carries the STATUS, TRANSP and hold
marker of the component that defines it, so an override can cancel or free a single occurrence. Nothing
else about an event is kept.

Expansion is bounded (``input_limits``): every start looked at (DTSTART, each RDATE, each RRULE start near
the window, each override, each FREEBUSY period) is counted against ``OCCURRENCES_PER_EVENT`` for its event
and spent from the calendar's ``Budget``, which also checks the deadline of a remote read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from icalendar import Component, vDDDLists, vDDDTypes, vPeriod, vRecur

from readout.adapters.ics.budget import Budget
from readout.adapters.ics.problem import IcsProblem
from readout.adapters.ics.rrule import rule_walls
from readout.adapters.ics.values import Clock, Length, When
from readout.adapters.input_limits import OCCURRENCES_PER_EVENT
from readout.domain.intervals import Interval

__all__ = ["FreeBusyPeriod", "Occurrence", "Traits", "event_occurrences", "freebusy_periods"]

# Beyond any UTC offset or DST shift between the window and the wall times of a rule.
_SLACK = timedelta(days=2)

_Key = tuple[str, date]  # ("at", UTC instant) for date-times, ("on", local date) for dates


@dataclass(frozen=True, slots=True)
class Traits:
    """What the busy rules look at. Never SUMMARY, DESCRIPTION, LOCATION or who attends."""

    status: str
    transparent: bool
    escalation: str | None

    @classmethod
    def of(cls, component: Component) -> Traits:
        """The traits of a VEVENT (RFC 5545 defaults: CONFIRMED-like, OPAQUE)."""
        status = str(_get(component, "STATUS", "")).strip().upper()
        transp = str(_get(component, "TRANSP", "OPAQUE")).strip().upper()
        escalation = str(_get(component, "X-READOUT-ESCALATION", "")).strip()
        return cls(status, transp == "TRANSPARENT", escalation or None)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a VEVENT: when it is, and the traits of the component that defines it."""

    span: Interval
    traits: Traits


@dataclass(frozen=True, slots=True)
class FreeBusyPeriod:
    """One FREEBUSY period and its FBTYPE (BUSY when absent)."""

    span: Interval
    kind: str


@dataclass(frozen=True, slots=True)
class _Future:
    """A ``RANGE=THISANDFUTURE`` override: later occurrences move by ``shift``, take its length and traits."""

    since: datetime
    shift: timedelta
    length: timedelta
    traits: Traits


def event_occurrences(
    events: Iterable[Component], clock: Clock, window: Interval, budget: Budget
) -> Iterator[Occurrence]:
    """Every occurrence of the VEVENTs that overlaps ``window``, recurrences expanded."""
    for masters, overrides in _series(events):
        yield from _series_occurrences(masters, overrides, clock, window, budget)


def freebusy_periods(
    component: Component, clock: Clock, window: Interval, budget: Budget
) -> Iterator[FreeBusyPeriod]:
    """The FREEBUSY periods of a VFREEBUSY that overlap ``window``."""
    periods = _typed(component, "FREEBUSY", vPeriod)
    budget.spend_occurrences(len(periods))
    for prop in periods:
        begin, finish = prop.dt
        start = clock.when(begin, None, "FREEBUSY")
        if isinstance(finish, timedelta):
            length = Length.of_duration(finish)
        else:
            length = _length_between(start, clock.when(finish, None, "FREEBUSY"), clock)
        span = _span(start, length, clock)
        if _touches(span, window):
            yield FreeBusyPeriod(span, str(prop.params.get("FBTYPE", "BUSY")).strip().upper())


def _series(events: Iterable[Component]) -> list[tuple[list[Component], list[Component]]]:
    """VEVENTs grouped by UID into (masters, overrides); a VEVENT without UID is a series of its own."""
    groups: dict[object, tuple[list[Component], list[Component]]] = {}
    for event in events:
        uid = _get(event, "UID")
        masters, overrides = groups.setdefault(str(uid) if uid is not None else id(event), ([], []))
        (overrides if _has(event, "RECURRENCE-ID") else masters).append(event)
    return [(_latest(masters), overrides) for masters, overrides in groups.values()]


def _latest(masters: list[Component]) -> list[Component]:
    """Masters with the highest SEQUENCE: an older revision is superseded, but two different events that
    share a UID by mistake both stay (fail closed: they both block time)."""
    top = max((_sequence(master) for master in masters), default=0)
    return [master for master in masters if _sequence(master) == top]


def _sequence(component: Component) -> int:
    value = str(_get(component, "SEQUENCE", "0")).strip()
    return int(value) if value.lstrip("-").isdigit() else 0


def _series_occurrences(
    masters: list[Component], overrides: list[Component], clock: Clock, window: Interval, budget: Budget
) -> Iterator[Occurrence]:
    """Occurrences of one UID: the masters' regular ones, then each override (unless an EXDATE deletes it)."""
    frame = _frame(masters[0], clock) if masters else None
    replaced = _replacements(overrides, clock, frame)
    budget.spend_occurrences(len(replaced))
    excluded: set[_Key] = set()
    for master in masters:
        try:
            excluded |= _exdates(master, clock, frame)
            yield from _regular(master, replaced, excluded, clock, window, budget)
        except IcsProblem as problem:
            raise problem.within(master) from None
    for key, override in replaced.items():
        if key not in excluded:
            try:
                yield from _own(override, Traits.of(override), clock, window)
            except IcsProblem as problem:
                raise problem.within(override) from None


def _frame(master: Component, clock: Clock) -> tzinfo | None:
    """The zone a master's floating EXDATE and RECURRENCE-ID values are read in: its DTSTART's."""
    try:
        return _start(master, clock).tz
    except IcsProblem as problem:
        raise problem.within(master) from None


def _replacements(overrides: list[Component], clock: Clock, frame: tzinfo | None) -> dict[_Key, Component]:
    """Overrides by the occurrence they replace; of two for one occurrence, the higher SEQUENCE (or later)."""
    replaced: dict[_Key, Component] = {}
    for override in overrides:
        try:
            key = _key(_read(override, "RECURRENCE-ID", clock), clock, frame)
        except IcsProblem as problem:
            raise problem.within(override) from None
        current = replaced.get(key)
        if current is None or _sequence(override) >= _sequence(current):
            replaced[key] = override
    return replaced


def _regular(
    master: Component,
    replaced: dict[_Key, Component],
    excluded: set[_Key],
    clock: Clock,
    window: Interval,
    budget: Budget,
) -> Iterator[Occurrence]:
    """The master's own occurrences, minus EXDATEs and replaced ones, THISANDFUTURE shifts applied."""
    start = _start(master, clock)
    futures = _futures(replaced, clock, start.tz)
    traits, seen = Traits.of(master), set[_Key]()
    looked = 0
    for when, length in _starts(master, start, clock, window, futures, budget):
        looked += 1
        if looked > OCCURRENCES_PER_EVENT:
            raise IcsProblem(
                f"the event has more than {OCCURRENCES_PER_EVENT:,} occurrences in and near the window "
                "(see docs/limits.md)"
            )
        keys = (("at", clock.instant(when, start.tz)), ("on", when.day))
        if keys[0] in seen or any(key in excluded or key in replaced for key in keys):
            continue
        seen.add(keys[0])
        span = _span(when, length, clock, start.tz)
        moved = _moved(span, futures, traits)
        if _touches(moved.span, window):
            yield moved
    budget.spend_occurrences(looked)


def _starts(
    master: Component, start: When, clock: Clock, window: Interval, futures: list[_Future], budget: Budget
) -> Iterator[tuple[When, Length]]:
    """Candidate starts with their lengths: DTSTART, each RDATE, and the RRULE starts near the window."""
    length = _length(master, start, clock)
    rules = _typed(master, "RRULE", vRecur)
    if not rules or not all(_ends_before(rule, start, clock) for rule in rules):
        yield start, length
    yield from _rdates(master, length, clock)
    shift = max((abs(future.shift) for future in futures), default=timedelta(0))
    low = clock.wall_in(window.start - length.upper_bound - shift - _SLACK, start.tz)
    high = clock.wall_in(window.end + shift + _SLACK, start.tz)
    first = start.wall if isinstance(start.wall, datetime) else datetime.combine(start.wall, time())
    for rule in rules:
        for wall in rule_walls(rule, first, low, min(high, _last_wall(rule, start, clock)), budget):
            when = When(wall if not start.all_day else wall.date(), start.tz)
            if _within_until(rule, when, clock, start.tz):
                yield when, length


def _last_wall(rule: vRecur, start: When, clock: Clock) -> datetime:
    """A wall time (in DTSTART's frame) after every start the rule's UNTIL lets through (``datetime.max``
    without UNTIL): walls past it are not expanded, so a rule that ended years ago costs nothing however
    finely it recurred."""
    values = rule.get("UNTIL")
    if not values:
        return datetime.max
    bound = clock.when(values[0], None, "RRULE")
    try:
        if bound.all_day:
            return datetime.combine(bound.day + timedelta(days=1), time()) + _SLACK
        return clock.wall_in(clock.instant(bound, start.tz), start.tz) + _SLACK
    except OverflowError:  # UNTIL in the year 9999: no bound worth having
        return datetime.max


def _ends_before(rule: vRecur, start: When, clock: Clock) -> bool:
    """True when the rule has an UNTIL before DTSTART: DTSTART is then dropped, like recurring-ical-events."""
    return "UNTIL" in rule and not _within_until(rule, start, clock, start.tz)


def _within_until(rule: vRecur, when: When, clock: Clock, frame: tzinfo | None) -> bool:
    """Whether ``when`` is not after the rule's UNTIL; a DATE UNTIL includes that whole local day."""
    values = rule.get("UNTIL")
    if not values:
        return True
    bound = clock.when(values[0], None, "RRULE")
    if not bound.all_day and not when.all_day:
        return clock.instant(when, frame) <= clock.instant(bound, frame)
    last_day = bound.day if bound.all_day else clock.wall_in(clock.instant(bound, frame), frame).date()
    return when.day <= last_day


def _rdates(master: Component, length: Length, clock: Clock) -> Iterator[tuple[When, Length]]:
    """RDATE starts; a PERIOD value brings its own length."""
    for value, tzid in _values(master, "RDATE"):
        if not isinstance(value, tuple):
            yield clock.when(value, tzid, "RDATE"), length
            continue
        begin, finish = clock.when(value[0], tzid, "RDATE"), value[1]
        if isinstance(finish, timedelta):
            yield begin, Length.of_duration(finish)
        else:
            yield begin, _length_between(begin, clock.when(finish, tzid, "RDATE"), clock)


def _exdates(master: Component, clock: Clock, frame: tzinfo | None) -> set[_Key]:
    """Occurrences deleted by EXDATE; a DATE value deletes every occurrence on that local day."""
    return {
        _key(clock.when(value, tzid, "EXDATE"), clock, frame) for value, tzid in _values(master, "EXDATE")
    }


def _futures(replaced: dict[_Key, Component], clock: Clock, frame: tzinfo | None) -> list[_Future]:
    """THISANDFUTURE overrides, earliest first (a floating RECURRENCE-ID read in the series' ``frame``)."""
    futures: list[_Future] = []
    for override in replaced.values():
        rid = _typed(override, "RECURRENCE-ID", vDDDTypes)
        if not rid or str(rid[0].params.get("RANGE", "")).upper() != "THISANDFUTURE":
            continue
        try:
            since = clock.instant(_read(override, "RECURRENCE-ID", clock), frame)
            start = _start(override, clock)
            span = _span(start, _length(override, start, clock), clock)
        except IcsProblem as problem:
            raise problem.within(override) from None
        futures.append(_Future(since, span.start - since, span.duration, Traits.of(override)))
    return sorted(futures, key=lambda future: future.since)


def _moved(span: Interval, futures: list[_Future], traits: Traits) -> Occurrence:
    """The occurrence as the latest THISANDFUTURE override before it reshapes it."""
    index = bisect_left(futures, span.start, key=lambda future: future.since) - 1
    if index < 0:
        return Occurrence(span, traits)
    future = futures[index]
    start = span.start + future.shift
    return Occurrence(Interval(start, start + future.length), future.traits)


def _own(component: Component, traits: Traits, clock: Clock, window: Interval) -> Iterator[Occurrence]:
    """The single occurrence an override describes (a cancelled one never blocks time: it is not read)."""
    if traits.status == "CANCELLED":
        return
    start = _start(component, clock)
    span = _span(start, _length(component, start, clock), clock)
    if _touches(span, window):
        yield Occurrence(span, traits)


def _start(component: Component, clock: Clock) -> When:
    if not _has(component, "DTSTART"):
        raise IcsProblem("VEVENT has no DTSTART")
    return _read(component, "DTSTART", clock)


def _length(component: Component, start: When, clock: Clock) -> Length:
    """DTEND, else DURATION, else one day for a DATE start, else zero (spec section 4)."""
    if _has(component, "DTEND"):
        return _length_between(start, _read(component, "DTEND", clock), clock)
    if _has(component, "DURATION"):
        durations = _typed(component, "DURATION", vDDDTypes)
        duration = durations[0].dt if durations else None
        if not isinstance(duration, timedelta):
            raise IcsProblem("DURATION is not a duration", prop="DURATION")
        return Length.of_duration(duration)
    return Length(days=1) if start.all_day else Length()


def _length_between(start: When, end: When, clock: Clock) -> Length:
    """Whole days between two dates; otherwise the exact time between the two instants, each floating value
    read in the owner's zone, never in the zone of the other (spec section 4)."""
    if start.all_day and end.all_day:
        length = Length(days=(end.day - start.day).days)
    else:
        length = Length(exact=clock.instant(end) - clock.instant(start))
    if length.days < 0 or length.exact < timedelta(0):
        raise IcsProblem(f"the end is before the start{_floating_note(start, end)}", prop="DTEND")
    return length


def _floating_note(start: When, end: When) -> str:
    """Why an end may look after its start yet is not: one value is floating, the other zoned."""
    floating = [
        name for name, when in (("start", start), ("end", end)) if when.tz is None and not when.all_day
    ]
    if len(floating) != 1 or start.all_day or end.all_day:
        return ""
    return f" (the {floating[0]} has no TZID or Z, so it is read in the calendar owner's time zone)"


def _span(start: When, length: Length, clock: Clock, frame: tzinfo | None = None) -> Interval:
    begin = clock.instant(start, frame)
    return Interval(begin, clock.instant(start.plus_days(length.days), frame) + length.exact)


def _touches(span: Interval, window: Interval) -> bool:
    return span.start < window.end and span.end > window.start


def _key(when: When, clock: Clock, frame: tzinfo | None) -> _Key:
    return ("on", when.day) if when.all_day else ("at", clock.instant(when, frame))


def _read(component: Component, name: str, clock: Clock) -> When:
    """The DATE or DATE-TIME value of a single-valued property."""
    props = _typed(component, name, vDDDTypes)
    if not props:
        raise IcsProblem(f"{name} is not a DATE or DATE-TIME value", prop=name)
    return clock.when(props[0].dt, props[0].params.get("TZID"), name)


def _values(component: Component, name: str) -> Iterator[tuple[Any, str | None]]:
    """Each value of a list property (RDATE, EXDATE), which may also appear on several lines, with the TZID
    it was written with (a parameter of the line, so a PERIOD's nominal days are counted in that zone)."""
    for prop in _typed(component, name, vDDDLists):
        line_tzid = prop.params.get("TZID")
        for item in prop.dts:
            yield item.dt, item.params.get("TZID") or line_tzid


_Prop = TypeVar("_Prop")


def _typed(component: Component, name: str, kind: type[_Prop]) -> list[_Prop]:
    """The values of property ``name`` (one or several lines) that are of the expected kind."""
    value = _get(component, name)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [item for item in values if isinstance(item, kind)]


# A component is a dict whose keys icalendar stores upper-case; the names asked for here are upper-case
# already, so the case-folding lookups of ``Component.get`` and ``in`` (most of the cost of reading a
# simple event) are skipped.
def _get(component: Component, name: str, default: object = None) -> Any:
    return dict.get(component, name, default)


def _has(component: Component, name: str) -> bool:
    return dict.__contains__(component, name)
