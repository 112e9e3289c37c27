"""The simulated support organisation: customers, the people who meet them, the interpreter roster, and every
person's calendar as free/busy intervals (never titles: a generated event is only a span and a flag).

Everything is drawn from one ``random.Random`` seeded by the run's seed, so the same seed gives the same
organisation (docs/simulation.md lists the distributions).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from readout.domain.intervals import Interval

__all__ = [
    "CalendarBook",
    "Customer",
    "Interpreter",
    "Org",
    "Person",
    "build_org",
]

# Where customers are, with the `holidays` country of their public holidays and the language their
# stakeholders may ask for (None: English).
_CUSTOMER_PLACES: tuple[tuple[str, str, str | None], ...] = (
    ("America/Mexico_City", "MX", "es"),
    ("America/Sao_Paulo", "BR", "pt"),
    ("Europe/Madrid", "ES", "es"),
    ("Europe/Berlin", "DE", "de"),
    ("Asia/Tokyo", "JP", "ja"),
    ("America/New_York", "US", None),
    ("Europe/London", "GB", None),
    ("Asia/Kolkata", "IN", None),
    ("Australia/Sydney", "AU", None),
    ("Asia/Singapore", "SG", None),
    ("America/Toronto", "CA", None),
    ("Africa/Johannesburg", "ZA", None),
)
_NAMES = (
    "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Acme",
    "Vandelay", "Wonka", "Gringotts", "Oscorp", "Monarch", "Aperture", "Massive", "Duff",
    "Nakatomi", "Virtucon",
)  # fmt: skip
_SECTORS = ("Financial", "Retail", "Health", "Logistics", "Energy", "Telecom", "Insurance", "Media")

# Event titles, for the calendars to look like real ones (never read by Readout: see CalendarBook.titles).
_TEAMS = ("Kestrel", "Osprey", "Heron", "Falcon", "Merlin")
_TRIPS = ("family trip to Oaxaca", "dentist and errands", "moving house", "wedding in Lisbon")
_MEETINGS = (
    "Pricing review for Q3 renewal",
    "Interview loop: senior SRE",
    "Vendor pitch: observability suite",
    "Board deck dry run",
    "Customer call: contract renegotiation",
    "Payroll migration check-in",
)
_CHANGES = (
    "core ledger patch",
    "HSM firmware rollout",
    "payments gateway failover test",
    "DNS provider switch",
)

# Follow-the-sun engineering hubs (fix owners), with the local end-of-day handoff window each protects.
_HUBS: tuple[tuple[str, str, str], ...] = (
    ("Asia/Kolkata", "IN", "17:30-18:30"),
    ("Europe/Dublin", "IE", "16:30-17:30"),
    ("America/Los_Angeles", "US", "17:00-18:00"),
)
_MANAGER_ZONES = ("America/Chicago", "America/New_York", "Europe/London", "Asia/Singapore")
_INTERPRETER_ZONES = {
    "es": ("America/Mexico_City", "Europe/Madrid"),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon"),
    "de": ("Europe/Berlin", "Europe/Vienna"),
    "ja": ("Asia/Tokyo", "Asia/Tokyo"),
}
# Published support coverage plans a customer may be on (None: 24x7 premium coverage).
COVERAGE_PLANS: tuple[dict[str, object] | None, ...] = (
    None,
    {"timezone": "America/Chicago", "hours": {"mon-fri": "07:00-19:00"}, "holidays": {"country": "US"}},
    {"timezone": "Europe/Dublin", "hours": {"mon-fri": "07:00-19:00"}, "holidays": {"country": "IE"}},
)


@dataclass
class CalendarBook:
    """One calendar's busy intervals (sorted by start), tentative ones apart, plus what the run adds (bookings
    over holds, confirmed readouts, tagged with their escalation)."""

    busy: list[Interval] = field(default_factory=list)
    tentative: list[Interval] = field(default_factory=list)
    added: list[tuple[Interval, str | None]] = field(default_factory=list)
    longest: timedelta = timedelta(0)
    # What a real calendar would also hold: each generated event's title. The reader never returns them (the
    # port carries intervals only); they exist so that tests can prove none reaches the store.
    titles: dict[Interval, str] = field(default_factory=dict)

    def add(self, span: Interval, title: str, tentative: bool = False) -> None:
        (self.tentative if tentative else self.busy).append(span)
        self.titles[span] = title

    def finish(self) -> None:
        self.busy.sort(key=lambda i: i.start)
        self.tentative.sort(key=lambda i: i.start)
        spans = [i.end - i.start for i in self.busy + self.tentative]
        self.longest = max(spans, default=timedelta(0))


@dataclass(frozen=True)
class Person:
    """Someone who can hold a role: ``kind`` is em, fix, csd or cim."""

    id: str
    name: str
    kind: str
    zone: str
    has_calendar: bool = True
    availability: dict[str, str] | None = None
    protected: str | None = None  # weekly mon-fri handoff window (fix owners)


@dataclass(frozen=True)
class Interpreter:
    id: str
    name: str
    zone: str
    languages: tuple[str, ...]
    approved_for: tuple[str, ...]
    availability: dict[str, str]


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    zone: str
    country: str
    language: str | None
    extra_holidays: tuple[str, ...]
    meeting_hours: dict[str, str] | None
    weekly_cab: dict[str, str] | None
    cab_calendar: bool
    freeze: tuple[datetime, datetime] | None  # year-end change freeze
    coverage: dict[str, object] | None
    csd: str
    cims: tuple[str, ...]


@dataclass
class Org:
    """The whole organisation and every calendar, by calendar key (a person's or interpreter's id, or
    ``cab-<customer>``)."""

    customers: list[Customer]
    people: dict[str, Person]
    interpreters: list[Interpreter]
    calendars: dict[str, CalendarBook]
    ems: list[str]
    fix_owners: list[str]
    start: datetime
    end: datetime


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, zone).astimezone(UTC)


def _days(start: datetime, end: datetime) -> list[date]:
    first = start.date() - timedelta(days=1)
    return [first + timedelta(days=n) for n in range((end - start).days + 3)]


def _person_calendar(rng: random.Random, zone: ZoneInfo, days: list[date], weeks: float) -> CalendarBook:
    """Recurring meetings, focus blocks, PTO, ad-hoc meetings (some tentative) in the person's local day."""
    book = CalendarBook()
    standup = time(9, rng.choice((0, 15, 30))) if rng.random() < 0.7 else None
    team_day, team_hour = rng.randrange(5), rng.choice((10, 11, 14, 15))
    one_day, one_hour = rng.randrange(5), rng.choice((9, 12, 16))
    focus_days = set(rng.sample(range(5), 2)) if rng.random() < 0.5 else set()
    pto: set[date] = set()
    for _ in range(_poisson(rng, weeks / 6)):
        first = rng.choice(days)
        pto.update(first + timedelta(days=n) for n in range(rng.randint(1, 5)))
    team, trip = rng.choice(_TEAMS), rng.choice(_TRIPS)
    for day in days:
        if day in pto:
            whole_day = Interval(_local(day, time(0), zone), _local(day + timedelta(days=1), time(0), zone))
            book.add(whole_day, f"PTO - {trip}")
            continue
        weekday = day.weekday()
        if weekday >= 5:
            continue
        if standup is not None:
            begin = _local(day, standup, zone)
            book.add(Interval(begin, begin + timedelta(minutes=15)), f"Standup - Team {team}")
        if weekday == team_day:
            begin = _local(day, time(team_hour), zone)
            book.add(Interval(begin, begin + timedelta(hours=1)), f"Team {team} weekly sync")
        if weekday == one_day:
            begin = _local(day, time(one_hour, 30), zone)
            book.add(Interval(begin, begin + timedelta(minutes=30)), "1:1 with my manager")
        if weekday in focus_days:
            begin = _local(day, time(13), zone)
            book.add(Interval(begin, begin + timedelta(hours=2)), "Focus time - postmortem write-up")
        for _ in range(_poisson(rng, 2.5)):
            begin = _local(day, time(9), zone) + timedelta(minutes=30 * rng.randrange(16))
            span = Interval(begin, begin + timedelta(minutes=rng.choice((30, 30, 60, 60, 90))))
            book.add(span, rng.choice(_MEETINGS), tentative=rng.random() < 0.15)
    book.finish()
    return book


def _cab_calendar(rng: random.Random, zone: ZoneInfo, days: list[date]) -> CalendarBook:
    """Change windows: one to three a week, mostly evenings and weekends, two to six hours long."""
    book = CalendarBook()
    for monday in (d for d in days if d.weekday() == 0):
        for _ in range(rng.randint(1, 3)):
            day = monday + timedelta(days=rng.randrange(7))
            hour = rng.choice((6, 10, 14, 18, 20, 21, 22, 22))
            begin = _local(day, time(hour), zone)
            book.add(
                Interval(begin, begin + timedelta(hours=rng.randint(2, 6))),
                f"CAB change - {rng.choice(_CHANGES)}",
            )
    book.finish()
    return book


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, p = pow(2.718281828459045, -mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def build_org(seed: int, escalations: int, start: datetime, end: datetime) -> Org:
    """The organisation for a run of ``escalations`` incidents between ``start`` and ``end`` (calendars reach
    six weeks past ``end``, for deadlines and late readouts)."""
    rng = random.Random(f"org:{seed}")
    cal_end = end + timedelta(weeks=6)
    days = _days(start, cal_end)
    weeks = (cal_end - start).days / 7
    people: dict[str, Person] = {}
    calendars: dict[str, CalendarBook] = {}

    def add(person: Person) -> None:
        people[person.id] = person
        if person.has_calendar:
            calendars[person.id] = _person_calendar(rng, ZoneInfo(person.zone), days, weeks)

    n_customers = max(4, min(40, escalations // 12))
    size = max(1, escalations // 60)
    ems = [f"em{n:02d}" for n in range(max(3, 2 * size))]
    for n, pid in enumerate(ems):
        add(Person(pid, f"Escalation Manager {n + 1}", "em", _MANAGER_ZONES[n % len(_MANAGER_ZONES)]))
    fix_owners: list[str] = []
    for hub_n, (zone, _country, handoff) in enumerate(_HUBS):
        for n in range(max(2, 2 * size)):
            pid = f"fix{hub_n}{n:02d}"
            fix_owners.append(pid)
            add(Person(pid, f"Fix Owner {zone.split('/')[-1]} {n + 1}", "fix", zone, protected=handoff))
    csds = [f"csd{n:02d}" for n in range(max(2, size + 1))]
    for n, pid in enumerate(csds):
        add(Person(pid, f"Customer Success Director {n + 1}", "csd", _MANAGER_ZONES[n % len(_MANAGER_ZONES)]))
    customers: list[Customer] = []
    for n in range(n_customers):
        zone, country, language = _CUSTOMER_PLACES[n % len(_CUSTOMER_PLACES)]
        cid = f"cust{n:02d}"
        name = f"{_NAMES[n % len(_NAMES)]} {_SECTORS[n % len(_SECTORS)]}"
        cims: list[str] = []
        for m in range(rng.choice((1, 1, 2))):
            pid = f"{cid}-cim{m}"
            cims.append(pid)
            windowed = rng.random() < 0.5  # a customer contact who shares windows, not a calendar
            windows = rng.choice(
                ({"mon-fri": "09:00-17:00"}, {"tue-thu": "09:00-13:00"}, {"mon-thu": "10:00-16:00"})
            )
            add(
                Person(
                    pid,
                    f"{name} Incident Manager {m + 1}",
                    "cim",
                    zone,
                    not windowed,
                    windows if windowed else None,
                )
            )
        year = start.year if start.month == 12 else end.year
        freeze_zone = ZoneInfo(zone)
        freeze = (
            (
                _local(date(year, 12, rng.choice((15, 18, 20))), time(0), freeze_zone),
                _local(date(year + 1, 1, rng.choice((3, 5))), time(0), freeze_zone),
            )
            if rng.random() < 0.4
            else None
        )
        extra = tuple(sorted({str(rng.choice(days)) for _ in range(rng.randint(0, 2))}))
        customers.append(
            Customer(
                id=cid,
                name=name,
                zone=zone,
                country=country,
                language=language,
                extra_holidays=extra,
                meeting_hours=rng.choice(({"mon-fri": "08:00-18:00"}, {"mon-fri": "09:00-17:00"}, None)),
                weekly_cab=rng.choice(
                    ({"thu": "17:00-20:00"}, {"tue": "18:00-22:00"}, {"sat,sun": "00:00-24:00"}, None)
                ),
                cab_calendar=rng.random() < 0.6,
                freeze=freeze,
                coverage=rng.choice(COVERAGE_PLANS),
                csd=csds[n % len(csds)],
                cims=tuple(cims),
            )
        )
        if customers[-1].cab_calendar:
            calendars[f"cab-{cid}"] = _cab_calendar(rng, ZoneInfo(zone), days)
    interpreters: list[Interpreter] = []
    for language, zones in _INTERPRETER_ZONES.items():
        served = [c.id for c in customers if c.language == language]
        for n in range(rng.randint(1, 3)):
            iid = f"int-{language}{n}"
            approved = (
                ("*",)
                if rng.random() < 0.5 or not served
                else tuple(sorted(rng.sample(served, max(1, len(served) // 2))))
            )
            zone = zones[n % 2]
            window = rng.choice(
                ({"mon-fri": "08:00-15:00"}, {"mon-fri": "09:00-18:00"}, {"mon-thu": "07:00-13:00"})
            )
            interpreters.append(
                Interpreter(
                    iid, f"Interpreter {language.upper()} {n + 1}", zone, (language,), approved, window
                )
            )
            calendars[iid] = _person_calendar(rng, ZoneInfo(zone), days, weeks)
    return Org(customers, people, interpreters, calendars, ems, fix_owners, start, end)
