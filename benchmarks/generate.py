"""Seeded generator of realistic large planning cases.

One ``Shape`` (attendees, events per person per week, horizon in business days, interpreters, seed) gives one
case, always the same for the same shape. It can be

- written as a real case file (``case.yaml``) with one ``.ics`` calendar per person, interpreter and CAB
  change calendar (``GeneratedCase.write``), read back the way ``readout plan`` reads it (``load_inputs``);
- built directly as domain values, ``Case`` plus busy maps, without writing or parsing a file
  (``GeneratedCase.build``): the occurrences are expanded here, independently of the production iCalendar
  code, so the two paths check each other.

What a case holds: four role holders (one a customer-side contact with availability windows, sometimes a
VFREEBUSY export), optional attendees up to the attendee count, calendars with the given number of events
per week of which about a third come from recurring series (a quarter of the series started 5 to 15 years
ago; some with UNTIL, COUNT, EXDATE and RECURRENCE-ID overrides), tentative, cancelled, transparent and
all-day events, attendee lists and descriptions (parse cost), customer meeting hours and holidays,
coverage hours, CAB blackouts (absolute, weekly and from a change calendar), follow-the-sun handoff windows,
and an interpreter roster of which only some speak the language and are approved for the customer.

Calendars hold events from a week before the planning window to a week after it.

    python -m benchmarks.generate OUT_DIR --attendees 12 --events 100 --horizon 15 --interpreters 5
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from icalendar import Timezone

from readout.adapters.holiday_calendars import holiday_set, holiday_years
from readout.domain.case import (
    ROLES,
    Availability,
    Blackouts,
    Case,
    Coverage,
    HolidaySet,
    Interpreter,
    MeetingHours,
    Person,
    Readout,
)
from readout.domain.intervals import Interval
from readout.domain.weekly import parse_weekly
from readout.services.planning import planning_window

__all__ = [
    "GeneratedCase",
    "Inputs",
    "Shape",
    "generate",
    "load_inputs",
    "with_filler",
]

ONE_DAY = timedelta(days=1)
# A Wednesday. The horizons run across the end of European (25 Oct) and US (1 Nov) summer time and, for the
# longest, US Thanksgiving and Mexico's Revolution Day: the grid and every window must get DST right.
APPROVAL_DAY = date(2026, 10, 21)
APPROVAL_TIME = time(16, 40)

CUSTOMERS = (
    ("globex-financial", "Globex Financial", "America/Mexico_City", "MX"),
    ("initech-bank", "Initech Bank", "Europe/Berlin", "DE"),
    ("umbrella-health", "Umbrella Health", "America/New_York", "US"),
    ("soylent-retail", "Soylent Retail", "America/Sao_Paulo", "BR"),
    ("acme-insurance", "Acme Insurance", "Europe/London", "GB"),
)
# (zone, weekly hours, holiday country, weight). Whole-hour UTC offsets only, as every real coverage zone.
COVERAGES = (
    ("America/Chicago", {"mon-fri": "07:00-19:00"}, "US", 6),
    ("Europe/Dublin", {"mon-fri": ["06:00-12:00", "12:00-22:00"]}, "IE", 2),  # adjacent windows join
    ("America/New_York", {"mon-fri": "00:00-24:00"}, "US", 2),  # 24x5: days join into one block
)
PROVIDER_ZONES = (
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Dublin",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Asia/Singapore",
)
INTERPRETER_ZONES = ("America/Mexico_City", "Europe/Madrid", "America/Bogota", "America/Chicago")
FIRST_NAMES = ("Dana", "Ravi", "Mei", "Luis", "Sam", "Ana", "Omar", "Priya", "Jon", "Eva", "Kenji", "Zoe")
TITLES = (
    "Escalations stand-up",
    "1:1",
    "Customer sync",
    "Incident review",
    "Sprint planning",
    "Design review",
    "Interview",
    "Focus time",
    "Lunch",
    "All hands",
    "Vendor call",
    "On-call handover",
)
DURATIONS = ((15, 30), (30, 40), (45, 8), (60, 15), (90, 4), (120, 3))  # (minutes, weight)
# (rule kind, occurrences per week, minutes)
SERIES_KINDS = (
    ("daily", 5.0, 15),
    ("mwf", 3.0, 30),
    ("tue-thu", 2.0, 45),
    ("weekly", 1.0, 60),
    ("biweekly", 0.5, 60),
    ("monthly", 0.23, 60),
)


@dataclass(frozen=True)
class Shape:
    """The size of one generated case."""

    attendees: int
    events_per_week: int
    horizon: int  # business days to the deadline
    interpreters: int
    seed: int = 1
    granularity: int = 15

    def __post_init__(self) -> None:
        if self.attendees < len(ROLES):
            raise ValueError(f"at least {len(ROLES)} attendees (the four roles), got {self.attendees}")

    @property
    def name(self) -> str:
        return f"{self.attendees}x{self.events_per_week}x{self.horizon}i{self.interpreters}"


# --- the calendar model ------------------------------------------------------------------------------------


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


# --- what the planner gets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Everything ``plan`` takes: the case (calendar blackouts included), ``now`` and the busy maps."""

    case: Case
    now: datetime
    people: dict[str, Availability]
    interpreters: dict[str, Availability]

    @property
    def busy_intervals(self) -> int:
        """Busy intervals of people and interpreters plus absolute blackout blocks."""
        maps = (*self.people.values(), *self.interpreters.values())
        return sum(len(a.busy) for a in maps) + len(self.case.blackouts.absolute)

    def fresh(self) -> Inputs:
        """The same inputs as new objects: nothing a previous plan cached on them is reused."""
        return Inputs(
            self.case,
            self.now,
            {k: dataclasses.replace(v) for k, v in self.people.items()},
            {k: dataclasses.replace(v) for k, v in self.interpreters.items()},
        )


@dataclass
class GeneratedCase:
    """A generated case: the case-file document, its calendars, and the domain case they describe."""

    shape: Shape
    document: dict[str, Any]
    calendars: dict[str, CalendarModel]  # by file name
    owners: dict[str, tuple[str, str]]  # file name -> ("people" | "interpreters" | "blackouts", id)
    base: Case  # without the change calendar's blackouts
    now: datetime
    window: Interval

    @property
    def events(self) -> int:
        return sum(c.size for c in self.calendars.values())

    def write(self, folder: Path) -> Path:
        """Write ``case.yaml`` and ``calendars/*.ics`` into ``folder``; return the case file's path."""
        (folder / "calendars").mkdir(parents=True, exist_ok=True)
        for name, calendar in self.calendars.items():
            (folder / "calendars" / name).write_bytes(ics_text(calendar).encode())
        path = folder / "case.yaml"
        path.write_text(yaml.safe_dump(self.document, sort_keys=False, width=120))
        return path

    def build(self) -> Inputs:
        """The planner's inputs, built directly: occurrences expanded here, not by the iCalendar adapter."""
        people: dict[str, Availability] = {}
        interpreters: dict[str, Availability] = {}
        blackouts: tuple[Interval, ...] = ()
        tentative = self.base.tentative_is_busy
        for name, calendar in self.calendars.items():
            kind, key = self.owners[name]
            if kind == "blackouts":
                blackouts += expand_busy(calendar, self.window, tentative=True, transp_frees=False)
            else:
                busy = expand_busy(calendar, self.window, tentative=tentative, transp_frees=True)
                (people if kind == "people" else interpreters)[key] = Availability.known(busy)
        absolute = self.base.blackouts.absolute + blackouts
        case = dataclasses.replace(self.base, blackouts=dataclasses.replace(self.base.blackouts, absolute=absolute))
        return Inputs(case, self.now, people, interpreters)


def load_inputs(path: Path, now: datetime | None = None) -> Inputs:
    """The planner's inputs read from a case file the way ``readout plan`` reads them (production code)."""
    from readout.adapters.casefile import load_case
    from readout.adapters.ics_files import IcsFileReader
    from readout.services.gathering import gather

    loaded = load_case(path)
    when = now or loaded.now
    if when is None:
        raise ValueError(f"{path}: no `now` in the file and none given")
    window = planning_window(loaded.case, when)
    if window is None:
        raise ValueError(f"{path}: RCA not approved, nothing to plan")
    found = gather(loaded, IcsFileReader(), window, 60.0)
    if found.unreadable:
        raise ValueError(f"{path}: unreadable calendars {found.unreadable}")
    case = loaded.case
    blackouts = dataclasses.replace(case.blackouts, absolute=case.blackouts.absolute + found.blackouts)
    return Inputs(dataclasses.replace(case, blackouts=blackouts), when, found.people, found.interpreters)


# --- direct expansion (independent of the production iCalendar code) ---------------------------------------


def _instant(wall: datetime, zone: str | None) -> datetime:
    """A naive wall time as a UTC instant, PEP 495 fold=0 (spec section 2)."""
    return wall.replace(tzinfo=UTC if zone is None else ZoneInfo(zone)).astimezone(UTC)


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def occurrences(event: Event, owner_zone: str, low: date, high: date) -> Iterator[tuple[Interval, str, bool]]:
    """(span, status, transparent) of every occurrence starting on a day in ``[low, high]`` (overrides: all)."""
    if isinstance(event.start, datetime):
        start: datetime = event.start
    else:
        end_day = event.start + timedelta(days=event.length.days)
        yield Interval(_midnight(event.start, owner_zone), _midnight(end_day, owner_zone)), *_traits(event)
        return
    if event.rule is None:
        at = _instant(start, event.zone)
        yield Interval(at, at + event.length), *_traits(event)
        return
    excluded = {_instant(x, event.zone) for x in event.exdates}
    moved = {_instant(o.original, event.zone) for o in event.overrides}
    for day in event.rule.days(start.date(), low, high):
        at = _instant(datetime.combine(day, start.time()), event.zone)
        if event.rule.until is not None and at > event.rule.until:
            break
        if at not in excluded and at not in moved:
            yield Interval(at, at + event.length), *_traits(event)
    for override in event.overrides:
        if _instant(override.original, event.zone) not in excluded:
            at = _instant(override.start, event.zone)
            yield Interval(at, at + override.length), override.status, False


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
    component = Timezone.from_tzinfo(ZoneInfo(zone), first_date=date(2008, 1, 1), last_date=date(2028, 12, 31))
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


def _end_line(start: datetime, length: timedelta, zone: str | None) -> str:
    """DTEND as a wall time in the same zone, exactly ``length`` after the start (UTC arithmetic)."""
    end = _instant(start, zone) + length
    if zone is None:
        return f"DTEND:{_utc_text(end)}"
    wall = end.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return f"DTEND;TZID={zone}:{wall:%Y%m%dT%H%M%S}"


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


# --- generation --------------------------------------------------------------------------------------------


class _Maker:
    """Random but seeded choices for one calendar (or for the case's structure)."""

    def __init__(self, *key: object) -> None:
        self.rng = random.Random("readout-bench-" + "-".join(map(str, key)))
        self.uid = 0

    def next_uid(self, owner: str) -> str:
        self.uid += 1
        return f"{owner}-{self.uid:06d}@bench.example"

    def duration(self) -> timedelta:
        minutes, weights = zip(*DURATIONS, strict=True)
        return timedelta(minutes=self.rng.choices(minutes, weights)[0])

    def status(self, tentative: float, cancelled: float) -> str:
        roll = self.rng.random()
        return "TENTATIVE" if roll < tentative else "CANCELLED" if roll < tentative + cancelled else ""

    def wall_time(self, weekday: bool, hours: tuple[int, int] = (8, 18)) -> time:
        """Mostly inside local working hours; the rest early, late or at the weekend."""
        roll = self.rng.random()
        if weekday and roll < 0.5:
            lo, hi = hours
        elif weekday and roll < 0.85:
            lo, hi = self.rng.choice(((6, 8), (18, 22)))
        else:
            lo, hi = (9, 20) if not weekday else (0, 24)
        minute = self.rng.randrange(lo * 60, hi * 60 - 15)
        step = 5 if self.rng.random() < 0.1 else 15
        minute -= minute % step
        return time(minute // 60, minute % 60)

    def one_offs(self, owner: str, zone: str, per_week: float, first: date, last: date) -> list[Event]:
        days = (last - first).days + 1
        count = round(per_week * days / 7)
        events = []
        for _ in range(count):
            day = first + timedelta(days=self.rng.randrange(days))
            if day.weekday() >= 5 and self.rng.random() < 0.8:  # weekends are quieter
                day -= timedelta(days=day.weekday() - 4)
            title = self.rng.choice(TITLES)
            if self.rng.random() < 0.01:  # all-day: out of office (opaque) or a reminder (transparent)
                length = timedelta(days=self.rng.choice((1, 1, 2)))
                events.append(
                    Event(self.next_uid(owner), day, length, None, "Out of office", "", self.rng.random() < 0.7)
                )
                continue
            wall = datetime.combine(day, self.wall_time(day.weekday() < 5))
            in_utc = self.rng.random() < 0.4  # Outlook and many feeds write UTC times
            events.append(
                Event(
                    self.next_uid(owner),
                    _instant(wall, zone).replace(tzinfo=None) if in_utc else wall,
                    self.duration(),
                    None if in_utc else zone,
                    title,
                    self.status(0.06, 0.04),
                    self.rng.random() < 0.08,
                    attendees=self.rng.choice((0, 0, 1, 2, 4)),
                    description=self.rng.random() < 0.3,
                )
            )
        return events

    def series(self, owner: str, zone: str, per_week: float, window: Interval) -> list[Event]:
        """Recurring series adding up to about ``per_week`` occurrences a week, plus some that ended."""
        events: list[Event] = []
        total = 0.0
        start_day = window.start.date()
        while total < per_week:
            kind, rate, minutes = self.rng.choice(SERIES_KINDS)
            event = self._one_series(owner, zone, kind, minutes, start_day, window)
            events.append(event)
            if event.rule is not None and (event.rule.until is None or event.rule.until > window.start):
                total += rate
        return events

    def _one_series(
        self, owner: str, zone: str, kind: str, minutes: int, start_day: date, window: Interval
    ) -> Event:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            first = start_day - timedelta(days=rng.randrange(5 * 365, 15 * 365))  # 5 to 15 years old
        elif roll < 0.75:
            first = start_day - timedelta(days=rng.randrange(180, 3 * 365))
        else:
            first = start_day - timedelta(days=rng.randrange(1, 56))
        rule = self._rule(kind, first)
        first = self._first_day(rule, first)
        slot = self.wall_time(True)
        wall = datetime.combine(first, slot)
        until = count = None
        roll = rng.random()
        if roll < 0.10:  # ended before (or during) the window
            until = window.start + timedelta(days=rng.randrange(-60, 10))
            until = until if _instant(wall, zone) < until else None
        elif roll < 0.15 and (start_day - first).days < 400:
            count = rng.randrange(10, 120)
        rule = dataclasses.replace(rule, until=until, count=count)
        event = Event(
            self.next_uid(owner),
            wall,
            timedelta(minutes=minutes),
            zone,
            rng.choice(TITLES),
            self.status(0.05, 0.02),
            rng.random() < 0.05,
            rule,
            attendees=rng.choice((0, 2, 4, 8)),
            description=rng.random() < 0.5,
        )
        return self._exceptions(event, window)

    def _rule(self, kind: str, first: date) -> Rule:
        rng = self.rng
        if kind == "daily":
            return Rule("DAILY", (0, 1, 2, 3, 4))
        if kind == "mwf":
            return Rule("WEEKLY", (0, 2, 4))
        if kind == "tue-thu":
            return Rule("WEEKLY", (1, 3))
        if kind == "weekly":
            return Rule("WEEKLY", (rng.randrange(5),))
        if kind == "biweekly":
            return Rule("WEEKLY", (rng.randrange(5),), interval=2)
        return Rule("MONTHLY", (rng.randrange(5),), nth=rng.randrange(1, 5))

    @staticmethod
    def _first_day(rule: Rule, near: date) -> date:
        """DTSTART on an occurrence day of the rule (as calendar clients write it)."""
        day = near
        while not rule.matches(day, day) or (rule.freq == "MONTHLY" and (day.day - 1) // 7 != rule.nth - 1):
            day += ONE_DAY
        return day

    def _exceptions(self, event: Event, window: Interval) -> Event:
        """Some EXDATEs and RECURRENCE-ID overrides on occurrences in or near the window."""
        rng = self.rng
        assert isinstance(event.start, datetime) and event.rule is not None
        near = [
            datetime.combine(d, event.start.time())
            for d in event.rule.days(event.start.date(), window.start.date() - ONE_DAY, window.end.date())
        ]
        near = [w for w in near if event.rule.until is None or _instant(w, event.zone) <= event.rule.until]
        if len(near) < 3:
            return event
        picked = rng.sample(near, min(len(near), 4))
        exdates = tuple(sorted(picked[:2])) if rng.random() < 0.25 else ()
        overrides: tuple[Override, ...] = ()
        if rng.random() < 0.2:
            overrides = tuple(
                Override(
                    w,
                    w + timedelta(minutes=rng.choice((-120, -60, -30, 30, 60, 90))),
                    event.length + timedelta(minutes=rng.choice((0, 0, 15, 30))),
                    "CANCELLED" if rng.random() < 0.3 else "",
                )
                for w in picked[2:]
            )
        return dataclasses.replace(event, exdates=exdates, overrides=overrides)


def _holidays(country: str | None, extra: Sequence[date], years: range) -> HolidaySet:
    return holiday_set(country, None, extra, years)


def _weekly_text(spec: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    return dict(spec)


def generate(shape: Shape) -> GeneratedCase:
    """The case of ``shape`` (deterministic for the same shape)."""
    maker = _Maker(shape)
    rng = maker.rng
    cust_id, cust_name, cust_zone, cust_country = rng.choice(CUSTOMERS)
    czone = ZoneInfo(cust_zone)
    approved = datetime.combine(APPROVAL_DAY, APPROVAL_TIME, czone)
    now = approved + timedelta(hours=17)
    years = holiday_years(approved.year, shape.horizon)
    extra_holiday = APPROVAL_DAY + timedelta(days=rng.randrange(7, 7 + shape.horizon))
    cov_zone, cov_hours, cov_country, _ = rng.choices(COVERAGES, [c[3] for c in COVERAGES])[0]
    meeting = (
        {"mon-fri": "08:00-18:00"}
        if rng.random() < 0.85
        else {"mon-thu": "08:00-18:00", "fri": ["08:00-12:00", "13:00-15:00"]}
    )
    language = "es" if shape.interpreters else None

    # people: four role holders, then optional attendees
    people_doc: dict[str, dict[str, Any]] = {}
    people: dict[str, Person] = {}
    roles = {
        "escalation_manager": ("em", rng.choice(PROVIDER_ZONES[:3])),
        "fix_owner": ("fo", rng.choice(PROVIDER_ZONES)),
        "customer_success_director": ("csd", rng.choice(PROVIDER_ZONES[:5])),
        "customer_incident_manager": ("cim", cust_zone),
    }
    ids = [(pid, zone) for pid, zone in roles.values()]
    ids += [(f"opt{n:02d}", rng.choice(PROVIDER_ZONES)) for n in range(len(ROLES), shape.attendees)]
    calendars: dict[str, CalendarModel] = {}
    owners: dict[str, tuple[str, str]] = {}
    for n, (pid, zone) in enumerate(ids):
        doc: dict[str, Any] = {
            "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {pid.upper()}",
            "email": f"{pid}@provider.example",
            "timezone": zone,
        }
        availability = protected = None
        has_calendar = True
        if pid == "cim":
            availability = rng.choices(({"tue-thu": "09:00-13:00"}, {"mon-fri": "08:00-17:00"}), (1, 3))[0]
            has_calendar = rng.random() < 0.5
        if pid == "fo":
            protected = [{"weekly": {"mon-fri": "17:30-18:30"}, "note": "follow-the-sun handoff"}]
        if pid == "em" and rng.random() < 0.3:
            protected = [{"weekly": {"mon-fri": "08:00-08:30"}, "note": "night shift handoff"}]
        if has_calendar:
            doc["calendar"] = f"calendars/{pid}.ics"
        if availability:
            doc["availability"] = availability
        if protected:
            doc["protected"] = protected
        people_doc[pid] = doc
        people[pid] = Person(
            id=pid,
            name=doc["name"],
            email=doc["email"],
            zone=ZoneInfo(zone),
            availability=parse_weekly(availability, ZoneInfo(zone)) if availability else None,
            protected=tuple(parse_weekly(p["weekly"], ZoneInfo(zone)) for p in protected or ()),
            has_calendar=has_calendar,
        )

    interpreters_doc: list[dict[str, Any]] = []
    interpreters: list[Interpreter] = []
    for n in range(shape.interpreters):
        iid = f"int{n:02d}"
        zone = rng.choice(INTERPRETER_ZONES)
        languages = ["es"] if rng.random() < 0.6 else [rng.choice(("pt", "fr", "de"))]
        if rng.random() < 0.3:
            languages.append(rng.choice(("pt", "en")))
        approved_for = rng.choices((["*"], [cust_id], ["other-customer"]), (3, 5, 2))[0]
        hours = rng.choice(({"mon-fri": "08:00-15:00"}, {"mon-fri": "07:00-19:00"}, {"mon,wed,fri": "09:00-17:00"}))
        has_calendar = rng.random() < 0.6
        doc = {
            "id": iid,
            "name": f"Interpreter {n}",
            "email": f"{iid}@interp.example",
            "languages": languages,
            "approved_for": approved_for,
            "timezone": zone,
            "availability": hours,
        }
        if has_calendar:
            doc["calendar"] = f"calendars/{iid}.ics"
        interpreters_doc.append(doc)
        interpreters.append(
            Interpreter(
                id=iid,
                name=doc["name"],
                email=doc["email"],
                zone=ZoneInfo(zone),
                languages=tuple(languages),
                approved_for=tuple(approved_for),
                availability=parse_weekly(hours, ZoneInfo(zone)),
                has_calendar=has_calendar,
            )
        )

    # blackouts: absolute blocks, a weekly CAB review, and the change calendar
    absolute_doc = []
    for _ in range(rng.randrange(1, 4)):
        day = APPROVAL_DAY + timedelta(days=rng.randrange(2, 2 + shape.horizon * 7 // 5))
        start = datetime.combine(day, time(rng.choice((10, 14, 17, 18, 20))), czone)
        end = start + timedelta(hours=rng.choice((2, 4, 8)))
        absolute_doc.append({"start": start.isoformat(), "end": end.isoformat(), "note": "change freeze"})
    weekly_blackouts = [{"weekly": {"thu": "17:00-20:00"}, "note": "weekly CAB review"}] if rng.random() < 0.7 else []
    cab_doc = [*absolute_doc, *weekly_blackouts, {"calendar": "calendars/cab.ics", "note": "change calendar"}]

    customer_holidays = _holidays(cust_country, [extra_holiday], years)
    readout = Readout(shape.horizon, timedelta(minutes=60), timedelta(hours=24), language, "video")
    base = Case(
        escalation_id=f"ESC-{shape.seed:02d}{shape.attendees:03d}",
        customer_id=cust_id,
        customer_name=cust_name,
        customer_zone=czone,
        approved_at=approved,
        readout=readout,
        business_zone=czone,
        business_holidays=customer_holidays,
        people=people,
        roles={role: pid for role, (pid, _) in roles.items()},
        optional_attendees=tuple(pid for pid, _ in ids[len(ROLES) :]),
        interpreters=tuple(interpreters),
        coverage=Coverage(parse_weekly(cov_hours, ZoneInfo(cov_zone)), _holidays(cov_country, [], years)),
        meeting_hours=MeetingHours(parse_weekly(meeting, czone), customer_holidays),
        blackouts=Blackouts(
            absolute=tuple(
                Interval(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in absolute_doc
            ),
            weekly=tuple(parse_weekly(b["weekly"], czone) for b in weekly_blackouts),
        ),
        granularity=shape.granularity,
        summary="Generated benchmark escalation",
    )
    window = planning_window(base, now)
    assert window is not None
    first = window.start.date() - timedelta(days=7)
    last = window.end.date() + timedelta(days=7)

    for pid, person in people.items():
        if not person.has_calendar:
            continue
        zone = str(person.zone.key)
        name = f"{pid}.ics"
        calendar = CalendarModel(name, zone, "-//Google Inc//Google Calendar 70.9054//EN")
        if pid == "cim" and rng.random() < 0.5:  # a customer sharing only a free/busy export
            calendar.prodid = "-//Globex//Free-busy export//EN"
            calendar.periods = _periods(maker, zone, shape.events_per_week, first, last)
        else:
            calendar.events = maker.series(pid, zone, shape.events_per_week / 3, window)
            calendar.events += maker.one_offs(pid, zone, shape.events_per_week * 2 / 3, first, last)
        calendars[name] = calendar
        owners[name] = ("people", pid)
    for interp in interpreters:
        if interp.has_calendar:
            zone = str(interp.zone.key)
            name = f"{interp.id}.ics"
            per_week = rng.randrange(10, 31)
            events = maker.one_offs(interp.id, zone, per_week, first, last)
            events = [dataclasses.replace(e, length=e.length * 2, title="Interpreting assignment") for e in events]
            calendars[name] = CalendarModel(name, zone, "-//Interp agency//Roster//EN", events)
            owners[name] = ("interpreters", interp.id)
    calendars["cab.ics"] = CalendarModel("cab.ics", cust_zone, "-//Change board//EN", _cab_events(maker, cust_zone, first, last, window))
    owners["cab.ics"] = ("blackouts", "cab")

    document = {
        "version": 1,
        "now": now.isoformat(),
        "escalation": {
            "id": base.escalation_id,
            "summary": base.summary,
            "customer_safe_rca_approved_at": approved.isoformat(),
            "readout": {
                "due_business_days": shape.horizon,
                "duration_minutes": 60,
                "min_notice_hours": 24,
                "language": language,
                "modality": "video",
            },
        },
        "customer": {
            "id": cust_id,
            "name": cust_name,
            "timezone": cust_zone,
            "holidays": {"country": cust_country, "extra": [extra_holiday.isoformat()]},
            "meeting_hours": meeting,
            "cab_blackouts": cab_doc,
        },
        "people": people_doc,
        "roles": base.roles,
        "optional_attendees": list(base.optional_attendees),
        "interpreters": interpreters_doc,
        "policy": {
            "business_days": {"timezone": None, "holidays": None},
            "coverage": {"timezone": cov_zone, "hours": _weekly_text(cov_hours), "holidays": {"country": cov_country}},
            "granularity_minutes": shape.granularity,
            "tentative_is_busy": True,
            "holds": {"count": 3, "ttl_hours": 24},
        },
    }
    return GeneratedCase(shape, document, calendars, owners, base, now, window)


def _periods(maker: _Maker, zone: str, per_week: float, first: date, last: date) -> list[Period]:
    """VFREEBUSY periods: the one-offs' times, as a free/busy export shows them."""
    out = []
    for event in maker.one_offs("fb", zone, per_week, first, last):
        if event.all_day or event.status == "CANCELLED":
            continue
        assert isinstance(event.start, datetime)
        start = _instant(event.start, event.zone)
        kind = "BUSY-TENTATIVE" if event.status == "TENTATIVE" else "FREE" if event.transparent else "BUSY"
        out.append(Period(start, start + event.length, kind))
    return sorted(out, key=lambda p: p.start)


def _cab_events(maker: _Maker, zone: str, first: date, last: date, window: Interval) -> list[Event]:
    """Changes on the customer's change calendar: a long-running weekly maintenance window and one-offs."""
    rng = maker.rng
    saturday = window.start.date() - timedelta(days=3650)
    saturday += timedelta(days=(5 - saturday.weekday()) % 7)
    events = [
        Event(
            maker.next_uid("cab"),
            datetime.combine(saturday, time(22)),
            timedelta(hours=4),
            zone,
            "Weekly maintenance window",
            rule=Rule("WEEKLY", (5,)),
        )
    ]
    for event in maker.one_offs("cab", zone, 6, first, last):
        if not event.all_day:
            events.append(dataclasses.replace(event, title="CHG change", length=timedelta(hours=rng.choice((1, 2, 4)))))
    return events


def with_filler(generated: GeneratedCase, inputs: Inputs, per_calendar: int) -> Inputs:
    """``inputs`` plus ``per_calendar`` short busy blocks for every calendar, all in hours the customer is
    closed (outside meeting hours), so the compliant set and the ranking cannot change: only the number of
    intervals grows. Used to measure growth from 1k to 100k intervals."""
    case = inputs.case
    assert case.meeting_hours is not None
    window = generated.window
    zone = case.meeting_hours.hours.zone
    first = window.start.astimezone(zone).date() - ONE_DAY
    last = window.end.astimezone(zone).date() + ONE_DAY
    open_hours = merge_spans(case.meeting_hours.hours.expand(first, last, case.meeting_hours.holidays.dates))
    closed: list[Interval] = []
    cursor = window.start
    for span in open_hours:
        if span.start > cursor:
            closed.append(Interval(cursor, min(span.start, window.end)))
        cursor = max(cursor, span.end)
    if cursor < window.end:
        closed.append(Interval(cursor, window.end))
    closed = [c for c in closed if c.start < c.end]
    total = sum((c.end - c.start for c in closed), timedelta())

    def filled(avail: Availability, phase: float) -> Availability:
        if per_calendar <= 0:
            return avail
        spacing = total / per_calendar
        extra: list[Interval] = []
        offset = spacing * phase
        for span in closed:
            at = span.start + offset
            while at < span.end:
                extra.append(Interval(at, min(at + spacing * 0.4, span.end)))
                at += spacing
            offset = at - span.end
        return Availability.known(clip(merge_spans([*avail.busy, *extra]), window))

    rng = random.Random(per_calendar)
    people = {k: filled(v, rng.random()) for k, v in inputs.people.items()}
    interpreters = {k: filled(v, rng.random()) for k, v in inputs.interpreters.items()}
    return Inputs(case, inputs.now, people, interpreters)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to write case.yaml and calendars/ into")
    parser.add_argument("--attendees", type=int, default=12)
    parser.add_argument("--events", type=int, default=100, help="events per person per week")
    parser.add_argument("--horizon", type=int, default=15, help="business days to the deadline")
    parser.add_argument("--interpreters", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    shape = Shape(args.attendees, args.events, args.horizon, args.interpreters, args.seed)
    generated = generate(shape)
    path = generated.write(args.out)
    print(f"{path}: {shape.name}, {generated.events} events in {len(generated.calendars)} calendars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
