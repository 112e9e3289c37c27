"""Seeded generator of realistic large planning cases.

One ``Shape`` (attendees, events per person per week, horizon in business days, interpreters, seed) gives one
case, always the same for the same shape. It can be

- written as a real case file (``case.yaml``) with one ``.ics`` calendar per person, interpreter and CAB
  change calendar (``GeneratedCase.write``), and read back as ``readout plan`` reads it (``load_inputs``);
- built directly as domain values, ``Case`` plus busy maps, without writing or parsing a file
  (``GeneratedCase.build``): occurrences are expanded by ``benchmarks.icsmodel``, independently of the
  production iCalendar code, so the two paths check each other.

A case holds four role holders (one a customer-side contact with availability windows, sometimes sharing only
a VFREEBUSY export), optional attendees up to the attendee count, calendars with the given number of events
per person per week of which about a third come from recurring series (a quarter of the series started 5 to
15 years ago; some with UNTIL, COUNT, EXDATE and RECURRENCE-ID overrides), tentative, cancelled, transparent
and all-day events, attendee lists and descriptions (they cost parsing time), customer meeting hours and
holidays, coverage hours, CAB blackouts (absolute, weekly and a change calendar), follow-the-sun handoff
windows, and an interpreter roster of which only some speak the language and are approved for the customer.
Calendars hold events from a week before the planning window to a week after it.

The case's structure (customer, coverage, each person's zone and windows, each interpreter) depends only on
the seed, so cases that differ in one dimension differ only there.

    python -m benchmarks.generate OUT_DIR --attendees 12 --events 100 --horizon 15 --interpreters 5
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from benchmarks.icsmodel import (
    CalendarModel,
    Event,
    Override,
    Period,
    Rule,
    clip,
    expand_busy,
    ics_text,
    instant,
    merge_spans,
)
from readout.adapters.casefile.holidays import holiday_set, holiday_years
from readout.domain.case import (
    Availability,
    Blackouts,
    Case,
    Coverage,
    Interpreter,
    MeetingHours,
    Person,
    Readout,
)
from readout.domain.intervals import Interval
from readout.domain.names import ROLES
from readout.domain.weekly import parse_weekly
from readout.services.planning import planning_window

__all__ = ["GeneratedCase", "Inputs", "Shape", "generate", "load_inputs", "with_filler"]

ONE_DAY = timedelta(days=1)
FILLER = timedelta(minutes=10)  # longest filler block: short enough not to swallow the calendar's own events
# A Wednesday. The horizons run across the end of European (25 Oct) and US (1 Nov) summer time and, for the
# longest, Mexico's Revolution Day and US Thanksgiving: the grid and every window must get DST right.
APPROVAL_DAY = date(2026, 10, 21)
APPROVAL_TIME = time(16, 40)

CUSTOMERS = (
    ("globex-financial", "Globex Financial", "America/Mexico_City", "MX"),
    ("initech-bank", "Initech Bank", "Europe/Berlin", "DE"),
    ("umbrella-health", "Umbrella Health", "America/New_York", "US"),
    ("soylent-retail", "Soylent Retail", "America/Sao_Paulo", "BR"),
    ("acme-insurance", "Acme Insurance", "Europe/London", "GB"),
)
# (zone, weekly hours, holiday country, weight). Whole-hour UTC offsets, as every real coverage zone.
COVERAGES: tuple[tuple[str, dict[str, Any], str, int], ...] = (
    ("America/Chicago", {"mon-fri": "07:00-19:00"}, "US", 6),
    ("Europe/Dublin", {"mon-fri": ["06:00-12:00", "12:00-22:00"]}, "IE", 2),  # adjacent windows join
    ("America/New_York", {"mon-fri": "00:00-24:00"}, "US", 2),  # 24x5: the days join into one block
)
MEETING_HOURS: tuple[dict[str, Any], ...] = (
    {"mon-fri": "08:00-18:00"},
    {"mon-thu": "08:00-18:00", "fri": ["08:00-12:00", "13:00-15:00"]},
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
INTERPRETER_HOURS: tuple[dict[str, str], ...] = (
    {"mon-fri": "08:00-15:00"},
    {"mon-fri": "07:00-19:00"},
    {"mon,wed,fri": "09:00-17:00"},
)
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
ROLE_IDS = {
    "escalation_manager": "em",
    "fix_owner": "fo",
    "customer_success_director": "csd",
    "customer_incident_manager": "cim",
}


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
        """VEVENTs (masters) and FREEBUSY periods in all calendars."""
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
        blocks = dataclasses.replace(self.base.blackouts, absolute=absolute)
        return Inputs(dataclasses.replace(self.base, blackouts=blocks), self.now, people, interpreters)


def load_inputs(path: Path, now: datetime | None = None) -> Inputs:
    """The planner's inputs read from a case file the way ``readout plan`` reads them (production code)."""
    from readout.adapters.casefile.loader import load_case
    from readout.adapters.ics.files import IcsFileReader
    from readout.services.gathering import gather

    loaded = load_case(path)
    when = now or loaded.now
    if when is None:
        raise ValueError(f"{path}: no `now` in the file and none given")
    window = planning_window(loaded.case, when)
    if window is None:
        raise ValueError(f"{path}: RCA not approved, nothing to plan")
    found = gather(loaded, IcsFileReader(), window, 600.0)
    if found.unreadable:
        raise ValueError(f"{path}: unreadable calendars {found.unreadable}")
    case = loaded.case
    blackouts = dataclasses.replace(case.blackouts, absolute=case.blackouts.absolute + found.blackouts)
    return Inputs(dataclasses.replace(case, blackouts=blackouts), when, found.people, found.interpreters)


# --- random choices -----------------------------------------------------------------------------------------


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
        """About ``per_week`` single events a week between ``first`` and ``last``. Past 30 a week, calendars
        fill up by double-booking: up to half of the events then start with an earlier one."""
        days = (last - first).days + 1
        count = round(per_week * days / 7)
        double = min(0.5, max(0.0, (per_week - 30) / per_week)) if per_week else 0.0
        events: list[Event] = []
        for _ in range(count):
            timed = [e for e in events[-20:] if not e.all_day]
            if timed and self.rng.random() < double:
                events.append(dataclasses.replace(self.rng.choice(timed), uid=self.next_uid(owner)))
                continue
            day = first + timedelta(days=self.rng.randrange(days))
            if day.weekday() >= 5 and self.rng.random() < 0.8:  # weekends are quieter
                day -= timedelta(days=day.weekday() - 4)
            title = self.rng.choice(TITLES)
            if self.rng.random() < 0.01:  # all-day: out of office (opaque) or a reminder (transparent)
                length = timedelta(days=self.rng.choice((1, 1, 2)))
                events.append(
                    Event(
                        self.next_uid(owner), day, length, None, "Out of office", "", self.rng.random() < 0.7
                    )
                )
                continue
            wall = datetime.combine(day, self.wall_time(day.weekday() < 5))
            in_utc = self.rng.random() < 0.4  # Outlook and many feeds write UTC times
            events.append(
                Event(
                    self.next_uid(owner),
                    instant(wall, zone).replace(tzinfo=None) if in_utc else wall,
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
            until = until if instant(wall, zone) < until else None
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
        assert isinstance(event.start, datetime)
        assert event.rule is not None
        near = [
            datetime.combine(d, event.start.time())
            for d in event.rule.days(event.start.date(), window.start.date() - ONE_DAY, window.end.date())
        ]
        near = [w for w in near if event.rule.until is None or instant(w, event.zone) <= event.rule.until]
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


# --- the case -----------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """The case being generated: its document and domain values, built side by side."""

    shape: Shape
    customer: tuple[str, str, str, str]
    approved: datetime
    years: range
    people_doc: dict[str, dict[str, Any]]
    people: dict[str, Person]
    interpreters_doc: list[dict[str, Any]]
    interpreters: list[Interpreter]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.customer[2])


def _person(seed: int, n: int, pid: str, zone: str) -> tuple[dict[str, Any], Person]:
    """One attendee; the same for the same seed and id whatever the attendee count."""
    rng = _Maker(seed, "person", pid).rng
    doc: dict[str, Any] = {
        "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {pid.upper()}",
        "email": f"{pid}@provider.example",
        "timezone": zone,
    }
    availability: dict[str, str] | None = None
    protected: list[dict[str, Any]] = []
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
    tz = ZoneInfo(zone)
    person = Person(
        id=pid,
        name=doc["name"],
        email=doc["email"],
        zone=tz,
        availability=parse_weekly(availability, tz) if availability else None,
        protected=tuple(parse_weekly(p["weekly"], tz) for p in protected),
        has_calendar=has_calendar,
    )
    return doc, person


def _interpreter(seed: int, n: int, customer_id: str) -> tuple[dict[str, Any], Interpreter]:
    """One roster entry; only some speak Spanish and are approved for the customer."""
    rng = _Maker(seed, "interpreter", n).rng
    iid = f"int{n:02d}"
    zone = rng.choice(INTERPRETER_ZONES)
    languages = ["es"] if rng.random() < 0.6 else [rng.choice(("pt", "fr", "de"))]
    if rng.random() < 0.3:
        languages.append(rng.choice(("pt", "en")))
    approved_for = rng.choices((["*"], [customer_id], ["other-customer"]), (3, 5, 2))[0]
    hours = rng.choice(INTERPRETER_HOURS)
    doc: dict[str, Any] = {
        "id": iid,
        "name": f"Interpreter {n}",
        "email": f"{iid}@interp.example",
        "languages": languages,
        "approved_for": approved_for,
        "timezone": zone,
        "availability": hours,
    }
    if rng.random() < 0.6:
        doc["calendar"] = f"calendars/{iid}.ics"
    interpreter = Interpreter(
        id=iid,
        name=doc["name"],
        email=doc["email"],
        zone=ZoneInfo(zone),
        languages=tuple(languages),
        approved_for=tuple(approved_for),
        availability=parse_weekly(hours, ZoneInfo(zone)),
        has_calendar="calendar" in doc,
    )
    return doc, interpreter


def _blackout_blocks(seed: int, shape: Shape, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Absolute change freezes inside the horizon and (usually) a weekly CAB review."""
    rng = _Maker(seed, "blackouts", shape.horizon).rng
    blocks: list[dict[str, Any]] = []
    for _ in range(rng.randrange(1, 4)):
        day = APPROVAL_DAY + timedelta(days=rng.randrange(2, 2 + shape.horizon * 7 // 5))
        start = datetime.combine(day, time(rng.choice((10, 14, 17, 18, 20))), zone)
        end = start + timedelta(hours=rng.choice((2, 4, 8)))
        blocks.append({"start": start.isoformat(), "end": end.isoformat(), "note": "change freeze"})
    if rng.random() < 0.7:
        blocks.append({"weekly": {"thu": "17:00-20:00"}, "note": "weekly CAB review"})
    return [*blocks, {"calendar": "calendars/cab.ics", "note": "change calendar"}]


def generate(shape: Shape) -> GeneratedCase:
    """The case of ``shape`` (deterministic for the same shape)."""
    seed = shape.seed
    rng = _Maker(seed, "case").rng
    cust_id, cust_name, cust_zone, cust_country = rng.choice(CUSTOMERS)
    czone = ZoneInfo(cust_zone)
    cov_zone, cov_hours, cov_country, _ = rng.choices(COVERAGES, [c[3] for c in COVERAGES])[0]
    meeting = rng.choices(MEETING_HOURS, (85, 15))[0]
    zones = {
        "em": rng.choice(PROVIDER_ZONES[:3]),
        "fo": rng.choice(PROVIDER_ZONES),
        "csd": rng.choice(PROVIDER_ZONES[:5]),
        "cim": cust_zone,
    }
    extra_holiday = APPROVAL_DAY + timedelta(days=rng.randrange(7, 21))
    approved = datetime.combine(APPROVAL_DAY, APPROVAL_TIME, czone)
    now = approved + timedelta(hours=17)
    years = holiday_years(approved.year, shape.horizon)
    language = "es" if shape.interpreters else None

    ids = [*ROLE_IDS.values(), *(f"opt{n:02d}" for n in range(len(ROLES), shape.attendees))]
    people_doc: dict[str, dict[str, Any]] = {}
    people: dict[str, Person] = {}
    for n, pid in enumerate(ids):
        zone = zones.get(pid) or _Maker(seed, "zone", pid).rng.choice(PROVIDER_ZONES)
        people_doc[pid], people[pid] = _person(seed, n, pid, zone)
    roster = [_interpreter(seed, n, cust_id) for n in range(shape.interpreters)]
    cab_doc = _blackout_blocks(seed, shape, czone)
    absolute = [b for b in cab_doc if "start" in b]
    weekly = [b for b in cab_doc if "weekly" in b]

    customer_holidays = holiday_set(cust_country, None, [extra_holiday], years)
    base = Case(
        escalation_id=f"ESC-{seed:02d}{shape.attendees:03d}",
        customer_id=cust_id,
        customer_name=cust_name,
        customer_zone=czone,
        approved_at=approved,
        readout=Readout(shape.horizon, timedelta(minutes=60), timedelta(hours=24), language, "video"),
        business_zone=czone,
        business_holidays=customer_holidays,
        people=people,
        roles=dict(ROLE_IDS),
        optional_attendees=tuple(ids[len(ROLES) :]),
        interpreters=tuple(i for _, i in roster),
        coverage=Coverage(
            parse_weekly(cov_hours, ZoneInfo(cov_zone)), holiday_set(cov_country, None, [], years)
        ),
        meeting_hours=MeetingHours(parse_weekly(meeting, czone), customer_holidays),
        blackouts=Blackouts(
            absolute=tuple(
                Interval(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
                for b in absolute
            ),
            weekly=tuple(parse_weekly(b["weekly"], czone) for b in weekly),
        ),
        granularity=shape.granularity,
        summary="Generated benchmark escalation",
    )
    window = planning_window(base, now)
    assert window is not None
    calendars, owners = _calendars(shape, base, window)
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
        "roles": dict(base.roles),
        "optional_attendees": list(base.optional_attendees),
        "interpreters": [doc for doc, _ in roster],
        "policy": {
            "business_days": {"timezone": None, "holidays": None},
            "coverage": {"timezone": cov_zone, "hours": cov_hours, "holidays": {"country": cov_country}},
            "granularity_minutes": shape.granularity,
            "tentative_is_busy": True,
            "holds": {"count": 3, "ttl_hours": 24},
        },
    }
    return GeneratedCase(shape, document, calendars, owners, base, now, window)


def _calendars(
    shape: Shape, case: Case, window: Interval
) -> tuple[dict[str, CalendarModel], dict[str, tuple[str, str]]]:
    """One calendar per person and interpreter that has one, and the customer's change calendar."""
    first = window.start.date() - timedelta(days=7)
    last = window.end.date() + timedelta(days=7)
    key = (shape.seed, shape.events_per_week, shape.horizon)
    calendars: dict[str, CalendarModel] = {}
    owners: dict[str, tuple[str, str]] = {}
    for pid, person in case.people.items():
        if not person.has_calendar:
            continue
        maker = _Maker(*key, pid)
        zone, name = str(person.zone.key), f"{pid}.ics"
        calendar = CalendarModel(name, zone, "-//Google Inc//Google Calendar 70.9054//EN")
        if pid == "cim" and maker.rng.random() < 0.5:  # a customer sharing only a free/busy export
            calendar.prodid = "-//Globex//Free-busy export//EN"
            calendar.periods = _periods(maker, zone, shape.events_per_week, first, last)
        else:
            calendar.events = maker.series(pid, zone, shape.events_per_week / 3, window)
            calendar.events += maker.one_offs(pid, zone, shape.events_per_week * 2 / 3, first, last)
        calendars[name], owners[name] = calendar, ("people", pid)
    for interp in case.interpreters:
        if interp.has_calendar:
            maker = _Maker(*key, interp.id)
            zone, name = str(interp.zone.key), f"{interp.id}.ics"
            per_week = maker.rng.randrange(10, 31)
            events = [
                dataclasses.replace(e, length=e.length * 2, title="Interpreting assignment")
                for e in maker.one_offs(interp.id, zone, per_week, first, last)
            ]
            calendars[name] = CalendarModel(name, zone, "-//Interpreting agency//Roster//EN", events)
            owners[name] = ("interpreters", interp.id)
    cab_zone = str(case.customer_zone.key)
    cab = _cab_events(_Maker(*key, "cab"), cab_zone, first, last, window)
    calendars["cab.ics"] = CalendarModel("cab.ics", cab_zone, "-//Change board//EN", cab)
    owners["cab.ics"] = ("blackouts", "cab")
    return calendars, owners


def _periods(maker: _Maker, zone: str, per_week: float, first: date, last: date) -> list[Period]:
    """VFREEBUSY periods: the times of one-off events, as a free/busy export shows them."""
    out = []
    for event in maker.one_offs("fb", zone, per_week, first, last):
        if event.all_day or event.status == "CANCELLED":
            continue
        assert isinstance(event.start, datetime)
        start = instant(event.start, event.zone)
        kind = "BUSY-TENTATIVE" if event.status == "TENTATIVE" else "FREE" if event.transparent else "BUSY"
        out.append(Period(start, start + event.length, kind))
    return sorted(out, key=lambda p: p.start)


def _cab_events(maker: _Maker, zone: str, first: date, last: date, window: Interval) -> list[Event]:
    """Changes on the customer's change calendar: a ten-year-old weekly maintenance window and one-offs."""
    saturday = window.start.date() - timedelta(days=3650)
    saturday += timedelta(days=(5 - saturday.weekday()) % 7)
    maintenance = Event(
        maker.next_uid("cab"),
        datetime.combine(saturday, time(22)),
        timedelta(hours=4),
        zone,
        "Weekly maintenance window",
        rule=Rule("WEEKLY", (5,)),
    )
    changes = [
        dataclasses.replace(event, title="CHG change", length=timedelta(hours=maker.rng.choice((1, 2, 4))))
        for event in maker.one_offs("cab", zone, 6, first, last)
        if not event.all_day
    ]
    return [maintenance, *changes]


def with_filler(generated: GeneratedCase, inputs: Inputs, per_calendar: int) -> Inputs:
    """``inputs`` plus ``per_calendar`` short busy blocks (ten minutes at most) in each calendar, all in hours
    the customer is closed (outside meeting hours): the compliant set and the ranking cannot change, only the
    number of intervals grows. Used to measure growth from 1k to 100k intervals."""
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
                extra.append(Interval(at, min(at + min(spacing * 0.4, FILLER), span.end)))
                at += spacing
            offset = at - span.end
        return Availability.known(clip(merge_spans([*avail.busy, *extra]), window))

    rng = random.Random(per_calendar)
    people = {k: filled(v, rng.random()) for k, v in inputs.people.items()}
    interpreters = {k: filled(v, rng.random()) for k, v in inputs.interpreters.items()}
    return Inputs(case, inputs.now, people, interpreters)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description="Write one generated case."
    )
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
