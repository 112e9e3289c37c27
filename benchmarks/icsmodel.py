"""The calendars a generated case is made of: a small model of VEVENTs, VFREEBUSY periods and RRULEs,
written out as iCalendar text and expanded into busy time *without* the production iCalendar code.

Only the shapes real calendars are made of are modelled (DAILY/WEEKLY/MONTHLY rules with BYDAY, INTERVAL,
UNTIL or COUNT, EXDATE, RECURRENCE-ID overrides, all-day events, FREEBUSY periods), so the expansion here
stays a page long and can serve as an independent check of the adapter's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

from readout.domain.intervals import Interval

__all__ = [
    "CalendarModel",
    "Event",
    "Override",
    "Period",
    "Rule",
    "clip",
    "expand_busy",
    "ics_text",
    "instant",
    "merge_spans",
    "occurrences",
]

ONE_DAY = timedelta(days=1)


# --- the calendar model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """The RRULE shapes real calendars are made of."""

    freq: str  # DAILY | WEEKLY | MONTHLY
    byday: tuple[int, ...]  # weekday indexes, 0 = Monday
    interval: int = 1
    nth: int = 0  # MONTHLY: the nth ``byday[0]`` of the month
    until: datetime | None = None  # aware UTC
    count: int | None = None

    def text(self) -> str:
        names = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        days = ",".join(f"{self.nth if self.nth else ''}{names[d]}" for d in self.byday)
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        parts.append(f"BYDAY={days}")
        if self.until is not None:
            parts.append(f"UNTIL={_utc_text(self.until)}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        return "RRULE:" + ";".join(parts)

    def matches(self, first: date, day: date) -> bool:
        """Whether ``day`` is an occurrence day of the rule started on ``first`` (dateutil semantics)."""
        if day.weekday() not in self.byday:
            return False
        if self.freq == "MONTHLY":
            months = (day.year - first.year) * 12 + day.month - first.month
            return (day.day - 1) // 7 == self.nth - 1 and months % self.interval == 0
        if self.freq == "WEEKLY":
            weeks = ((day - timedelta(days=day.weekday())) - (first - timedelta(days=first.weekday()))).days
            return (weeks // 7) % self.interval == 0
        return True

    def days(self, first: date, low: date, high: date) -> Iterator[date]:
        """Occurrence days in ``[low, high]``; a COUNT rule is counted from its first day."""
        day = first if self.count is not None else max(first, low)
        seen = 0
        while day <= high:
            if self.matches(first, day):
                seen += 1
                if self.count is not None and seen > self.count:
                    return
                if day >= low:
                    yield day
            day += ONE_DAY


@dataclass(frozen=True)
class Override:
    """A RECURRENCE-ID override: the occurrence at ``original`` (wall time) moved, or cancelled."""

    original: datetime
    start: datetime
    length: timedelta
    status: str = ""


@dataclass(frozen=True)
class Event:
    """One VEVENT (with its overrides). ``start`` is a naive wall time in ``zone`` (UTC when ``zone`` is
    None), or a date for an all-day event (``length`` is then whole days)."""

    uid: str
    start: datetime | date
    length: timedelta
    zone: str | None
    title: str = "Busy"
    status: str = ""
    transparent: bool = False
    rule: Rule | None = None
    exdates: tuple[datetime, ...] = ()
    overrides: tuple[Override, ...] = ()
    attendees: int = 0
    description: bool = False

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@dataclass(frozen=True)
class Period:
    """A VFREEBUSY period (UTC)."""

    start: datetime
    end: datetime
    kind: str = "BUSY"


@dataclass
class CalendarModel:
    """One .ics file: its owner's zone (DATE values) and what it holds."""

    file: str
    zone: str
    prodid: str
    events: list[Event] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.events) + len(self.periods)


# --- direct expansion (independent of the production iCalendar code) ----------------------------------------


def instant(wall: datetime, zone: str | None) -> datetime:
    """A naive wall time as a UTC instant, PEP 495 fold=0 (spec section 2)."""
    return wall.replace(tzinfo=UTC if zone is None else ZoneInfo(zone)).astimezone(UTC)


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def occurrences(event: Event, owner_zone: str, low: date, high: date) -> Iterator[tuple[Interval, str, bool]]:
    """(span, status, transparent) of each occurrence starting on a day of ``[low, high]``; all overrides."""
    if isinstance(event.start, datetime):
        start: datetime = event.start
    else:
        end_day = event.start + timedelta(days=event.length.days)
        yield Interval(_midnight(event.start, owner_zone), _midnight(end_day, owner_zone)), *_traits(event)
        return
    length = written_length(start, event.length, event.zone)
    if event.rule is None:
        at = instant(start, event.zone)
        yield Interval(at, at + length), *_traits(event)
        return
    excluded = {instant(x, event.zone) for x in event.exdates}
    moved = {instant(o.original, event.zone) for o in event.overrides}
    for day in event.rule.days(start.date(), low, high):
        at = instant(datetime.combine(day, start.time()), event.zone)
        if event.rule.until is not None and at > event.rule.until:
            break
        if at not in excluded and at not in moved:
            yield Interval(at, at + length), *_traits(event)
    for override in event.overrides:
        if instant(override.original, event.zone) not in excluded:
            at = instant(override.start, event.zone)
            yield (
                Interval(at, at + written_length(override.start, override.length, event.zone)),
                override.status,
                False,
            )


def written_length(start: datetime, length: timedelta, zone: str | None) -> timedelta:
    """The length the file says. DTEND is a wall time, and a wall time in a fall-back hour reads as its first
    occurrence (spec section 2): an event ending in that hour is an hour shorter than meant."""
    begin = instant(start, zone)
    return instant(_end_wall(start, length, zone), zone) - begin


def _traits(event: Event) -> tuple[str, bool]:
    return event.status, event.transparent


def expand_busy(
    calendar: CalendarModel, window: Interval, *, tentative: bool, transp_frees: bool
) -> tuple[Interval, ...]:
    """Blocking time of a calendar inside ``window``: merged, sorted, clipped (spec section 4)."""
    low = window.start.date() - timedelta(days=3)
    high = window.end.date() + timedelta(days=3)
    spans: list[Interval] = []
    for event in calendar.events:
        for span, status, transparent in occurrences(event, calendar.zone, low, high):
            if status == "CANCELLED" or (transp_frees and transparent):
                continue
            if status == "TENTATIVE" and not tentative:
                continue
            spans.append(span)
    for period in calendar.periods:
        if period.kind != "FREE" and (period.kind != "BUSY-TENTATIVE" or tentative):
            spans.append(Interval(period.start, period.end))
    return clip(merge_spans(spans), window)


def merge_spans(spans: Sequence[Interval]) -> list[Interval]:
    """Sorted, touching and overlapping spans joined, empty ones dropped."""
    out: list[Interval] = []
    for span in sorted((s for s in spans if s.start < s.end), key=lambda s: (s.start, s.end)):
        if out and span.start <= out[-1].end:
            if span.end > out[-1].end:
                out[-1] = Interval(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def clip(merged: Sequence[Interval], window: Interval) -> tuple[Interval, ...]:
    """The parts of ``merged`` inside ``window`` (non-empty)."""
    out = []
    for span in merged:
        start, end = max(span.start, window.start), min(span.end, window.end)
        if start < end:
            out.append(Interval(start, end))
    return tuple(out)


# --- writing iCalendar --------------------------------------------------------------------------------------


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _prop(name: str, value: datetime | date, zone: str | None) -> str:
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    if zone is None:
        return f"{name}:{value:%Y%m%dT%H%M%S}Z"
    return f"{name};TZID={zone}:{value:%Y%m%dT%H%M%S}"


def _fold(line: str) -> list[str]:
    """RFC 5545 folding at 75 octets (the text here is ASCII)."""
    if len(line) <= 75:
        return [line]
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return parts


@cache
def _vtimezone(zone: str) -> str:
    """A VTIMEZONE like the one Google writes beside an IANA TZID (the adapter reads the IANA name)."""
    component = Timezone.from_tzinfo(
        ZoneInfo(zone), first_date=date(2008, 1, 1), last_date=date(2028, 12, 31)
    )
    return bytes(component.to_ical()).decode().replace("\r\n", "\n").strip()


def _event_lines(event: Event, stamp: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{stamp}"]
    lines.append(_prop("DTSTART", event.start, event.zone))
    if event.all_day:
        assert isinstance(event.start, date)
        lines.append(_prop("DTEND", event.start + timedelta(days=event.length.days), None))
    else:
        assert isinstance(event.start, datetime)
        lines.append(_end_line(event.start, event.length, event.zone))
    if event.rule is not None:
        lines.append(event.rule.text())
    if event.exdates:
        walls = ",".join(f"{x:%Y%m%dT%H%M%S}" for x in event.exdates)
        lines.append(f"EXDATE;TZID={event.zone}:{walls}" if event.zone else f"EXDATE:{walls}Z")
    lines.append(f"SUMMARY:{event.title}")
    if event.description:
        lines.append("DESCRIPTION:Agenda: status of open actions\\, risks and next steps. Join by video.")
    if event.attendees:
        lines.append("ORGANIZER;CN=Organizer:mailto:organizer@provider.example")
        lines += [
            f"ATTENDEE;CN=Attendee {n};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:a{n}@provider.example"
            for n in range(event.attendees)
        ]
    if event.status:
        lines.append(f"STATUS:{event.status}")
    if event.transparent:
        lines.append("TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    for override in event.overrides:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            _prop("RECURRENCE-ID", override.original, event.zone),
            _prop("DTSTART", override.start, event.zone),
            _end_line(override.start, override.length, event.zone),
            "SEQUENCE:1",
            f"SUMMARY:{event.title} (moved)",
        ]
        if override.status:
            lines.append(f"STATUS:{override.status}")
        lines.append("END:VEVENT")
    return lines


def _end_wall(start: datetime, length: timedelta, zone: str | None) -> datetime:
    """The wall time ``length`` after ``start`` (in UTC arithmetic), as DTEND is written."""
    end = instant(start, zone) + length
    return (
        end.replace(tzinfo=None)
        if zone is None
        else end.astimezone(ZoneInfo(zone)).replace(tzinfo=None, fold=0)
    )


def _end_line(start: datetime, length: timedelta, zone: str | None) -> str:
    """DTEND as a wall time in the same zone (UTC when the start is), ``length`` after the start."""
    wall = _end_wall(start, length, zone)
    return f"DTEND:{wall:%Y%m%dT%H%M%S}Z" if zone is None else f"DTEND;TZID={zone}:{wall:%Y%m%dT%H%M%S}"


def ics_text(calendar: CalendarModel) -> str:
    """The calendar as an iCalendar file (CRLF line ends, folded lines)."""
    stamp = "20261001T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{calendar.prodid}", "CALSCALE:GREGORIAN"]
    zones = sorted({e.zone for e in calendar.events if e.zone is not None})
    for zone in zones:
        lines += _vtimezone(zone).split("\n")
    for event in calendar.events:
        lines += _event_lines(event, stamp)
    if calendar.periods:
        first = min(p.start for p in calendar.periods)
        last = max(p.end for p in calendar.periods)
        lines += ["BEGIN:VFREEBUSY", f"UID:fb-{calendar.file}", f"DTSTAMP:{stamp}"]
        lines += [f"DTSTART:{_utc_text(first)}", f"DTEND:{_utc_text(last)}"]
        for p in calendar.periods:
            lines.append(f"FREEBUSY;FBTYPE={p.kind}:{_utc_text(p.start)}/{_utc_text(p.end)}")
        lines.append("END:VFREEBUSY")
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
