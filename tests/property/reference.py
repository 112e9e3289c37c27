"""A minute-by-minute reference planner, written straight from the spec (case-file.md sections 2, 3, 5, 6).

It shares no logic with ``readout.domain``: it reads its own plain ``Scenario`` (raw window texts, raw
blocks), parses the window texts itself and represents every kind of time as a set of whole UTC minutes
since the epoch. Slow and obviously correct is the point; it is only ever run on small cases.

Minute model: every window edge, grid start and deadline is a whole minute (all zones used have whole-minute
offsets), so a slot ``[s, s + d)`` is the minutes ``range(s, s + d)``. A window holds the slot when it covers
every one of those minutes; a block breaks it when it touches any of them. A block with sub-minute edges
touches minute ``m`` when ``[m, m + 1)`` meets it, which is what overlap with a whole-minute slot means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "ROLES",
    "BlockSpec",
    "BusySpec",
    "InterpreterSpec",
    "PersonSpec",
    "RefPlan",
    "Scenario",
    "WeeklySpec",
    "instant_of",
    "reference_plan",
]

ROLES = ("escalation_manager", "fix_owner", "customer_success_director", "customer_incident_manager")
WAIVABLE = frozenset({"COVERAGE", "HANDOFF_WINDOW"})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


# --- the scenario: raw inputs, as a case file would state them -------------------------------------------


@dataclass(frozen=True)
class WeeklySpec:
    """A weekly-window mapping as written in a case file, e.g. ``(("mon-fri", ("08:00-18:00",)),)``."""

    zone: str
    windows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class BlockSpec:
    """An absolute block ``[start, end)`` (aware datetimes)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class BusySpec:
    """What the calendar source said: ``known`` with blocks, ``unverified`` (no calendar) or ``unknown``."""

    status: str
    blocks: tuple[BlockSpec, ...] = ()


@dataclass(frozen=True)
class PersonSpec:
    id: str
    zone: str
    availability: WeeklySpec | None = None
    protected: tuple[WeeklySpec, ...] = ()
    has_calendar: bool = False
    busy: BusySpec | None = None  # None: nothing was passed to the planner for this person


@dataclass(frozen=True)
class InterpreterSpec:
    id: str
    zone: str
    languages: tuple[str, ...]
    approved_for: tuple[str, ...]
    availability: WeeklySpec | None = None
    has_calendar: bool = False
    busy: BusySpec | None = None


@dataclass(frozen=True)
class Scenario:
    customer_id: str
    customer_zone: str
    approved_at: datetime | None
    now: datetime
    due_business_days: int
    duration_minutes: int
    notice_hours: int
    granularity: int
    business_zone: str
    business_holidays: frozenset[date]
    people: tuple[PersonSpec, ...]
    roles: tuple[tuple[str, str | None], ...]
    language: str | None = None
    optional_attendees: tuple[str, ...] = ()
    interpreters: tuple[InterpreterSpec, ...] = ()
    coverage: WeeklySpec | None = None
    coverage_holidays: frozenset[date] = frozenset()
    meeting_hours: WeeklySpec | None = None
    meeting_holidays: frozenset[date] = frozenset()
    blackouts: tuple[BlockSpec, ...] = ()
    weekly_blackouts: tuple[WeeklySpec, ...] = ()


@dataclass
class RefPlan:
    """What the spec says the plan must contain; slots are ``(start, end)`` UTC datetimes."""

    status: str
    not_ready: set[str]
    earliest: datetime | None = None
    deadline: datetime | None = None
    starts: list[datetime] = field(default_factory=list)
    compliant: set[tuple[datetime, datetime]] = field(default_factory=set)
    near_misses: dict[tuple[datetime, datetime], frozenset[str]] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    causes: set[str] = field(default_factory=set)
    interpreters_for: dict[datetime, set[str]] = field(default_factory=dict)


# --- minutes ----------------------------------------------------------------------------------------------


def minute_floor(moment: datetime) -> int:
    return (moment - EPOCH) // MINUTE


def minute_ceil(moment: datetime) -> int:
    return -((EPOCH - moment) // MINUTE)


def instant_of(minute: int) -> datetime:
    return EPOCH + minute * MINUTE


def wall_instant(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """Spec section 2: a wall time becomes an instant with zoneinfo, fold=0."""
    return datetime.combine(day, time(hour, minute), zone)  # fold defaults to 0


def block_minutes(blocks: list[BlockSpec] | tuple[BlockSpec, ...]) -> set[int]:
    out: set[int] = set()
    for b in blocks:
        if b.start < b.end:  # zero-length blocks block nothing
            out.update(range(minute_floor(b.start), minute_ceil(b.end)))
    return out


# --- weekly windows ---------------------------------------------------------------------------------------


def days_of(key: str) -> set[int]:
    """``mon``, ``mon-fri``, ``sat,sun`` or ``daily`` as weekday indexes (0 = Monday)."""
    if key == "daily":
        return set(range(7))
    out: set[int] = set()
    for part in key.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            out.update(range(DAYS.index(lo), DAYS.index(hi) + 1))
        else:
            out.add(DAYS.index(part))
    return out


def window_instants(day: date, text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The window ``HH:MM-HH:MM`` that starts on local ``day``; an end at/before the start is the next day."""
    start_text, end_text = text.split("-")
    sh, sm = (int(x) for x in start_text.split(":"))
    eh, em = (int(x) for x in end_text.split(":"))
    start = wall_instant(day, sh, sm, zone)
    end_day = day
    if eh == 24:  # 24:00 is the next local midnight
        eh, end_day = 0, day + timedelta(days=1)
    elif (eh, em) <= (sh, sm):
        end_day = day + timedelta(days=1)
    return start, wall_instant(end_day, eh, em, zone)


def window_minutes(spec: WeeklySpec, first: int, last: int, skip: frozenset[date] = frozenset()) -> set[int]:
    """Minutes covered by the windows starting on any local date around ``[first, last]`` not in ``skip``."""
    zone = ZoneInfo(spec.zone)
    day = instant_of(first).astimezone(zone).date() - timedelta(days=3)
    stop = instant_of(last).astimezone(zone).date() + timedelta(days=1)
    out: set[int] = set()
    while day <= stop:
        if day not in skip:
            for key, texts in spec.windows:
                if day.weekday() in days_of(key):
                    for text in texts:
                        start, end = window_instants(day, text, zone)
                        out.update(range(minute_floor(start), minute_floor(end)))
        day += timedelta(days=1)
    return out


# --- deadline and grid ------------------------------------------------------------------------------------


def reference_deadline(approved_at: datetime, n: int, zone: ZoneInfo, holidays: frozenset[date]) -> datetime:
    """Walk local dates after the approval date; midnight after the N-th Mon-Fri non-holiday date."""
    day = approved_at.astimezone(zone).date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return wall_instant(day + timedelta(days=1), 0, 0, zone).astimezone(UTC)


def grid_starts(
    earliest: datetime, deadline: datetime, duration: int, zone: ZoneInfo, step: int
) -> list[int]:
    """Whole UTC minutes in range whose wall time in ``zone`` is a multiple of ``step`` after midnight."""
    out = []
    for m in range(minute_ceil(earliest), minute_floor(deadline) - duration + 1):
        local = instant_of(m).astimezone(zone)
        if (local.hour * 60 + local.minute) % step == 0 and local.second == 0:
            out.append(m)
    return out


# --- attendance -------------------------------------------------------------------------------------------


@dataclass
class Attendee:
    """Minute sets of one person or interpreter; ``windows`` None means no availability restriction."""

    unknown: bool
    windows: set[int] | None
    busy: set[int]

    def attends(self, slot: range) -> bool:
        if self.unknown:  # fail closed
            return False
        if self.windows is not None and not self.windows.issuperset(slot):
            return False
        return self.busy.isdisjoint(slot)


def attendee(
    availability: WeeklySpec | None, has_calendar: bool, busy: BusySpec | None, first: int, last: int
) -> Attendee:
    if busy is None:  # nothing read: a configured calendar is never taken as free
        busy = BusySpec("unknown" if has_calendar else "unverified")
    windows = window_minutes(availability, first, last) if availability is not None else None
    return Attendee(busy.status == "unknown", windows, block_minutes(busy.blocks))


# --- the plan ---------------------------------------------------------------------------------------------


def not_ready_reasons(sc: Scenario) -> set[str]:
    reasons = set() if sc.approved_at is not None else {"RCA_NOT_APPROVED"}
    roles = dict(sc.roles)
    known = {p.id for p in sc.people}
    reasons |= {f"ROLE_UNASSIGNED:{r}" for r in ROLES if roles.get(r) not in known}
    return reasons


def reference_plan(sc: Scenario) -> RefPlan:
    """The plan the spec demands for ``sc``, computed minute by minute."""
    reasons = not_ready_reasons(sc)
    if sc.approved_at is None:
        return RefPlan("not_ready", reasons)
    deadline = reference_deadline(
        sc.approved_at, sc.due_business_days, ZoneInfo(sc.business_zone), sc.business_holidays
    )
    earliest = max(sc.now, sc.approved_at) + timedelta(hours=sc.notice_hours)
    if reasons:
        return RefPlan("not_ready", reasons, earliest, deadline)

    d = sc.duration_minutes
    grid_zone = ZoneInfo(sc.coverage.zone if sc.coverage else "UTC")
    starts = grid_starts(earliest, deadline, d, grid_zone, sc.granularity)
    out = RefPlan("needs_exception", set(), earliest, deadline, [instant_of(s) for s in starts])
    if not starts:
        return out
    first, last = starts[0], starts[-1] + d
    checks = family_checks(sc, first, last)
    interpreters = qualifying_interpreters(sc, first, last)

    lone: set[str] = set()
    for s in starts:
        slot = range(s, s + d)
        key = (instant_of(s), instant_of(s + d))
        able = {iid for iid, att in interpreters.items() if att.attends(slot)}
        out.interpreters_for[key[0]] = able
        broken = {family for family, breaks in checks.items() if breaks(slot)}
        if sc.language and not able:
            broken.add("INTERPRETER")
        for family in broken:
            out.violations[family] = out.violations.get(family, 0) + 1
        if not broken:
            out.compliant.add(key)
        elif broken <= WAIVABLE:
            out.near_misses[key] = frozenset(broken)
        if len(broken) == 1:
            lone |= broken
    if out.compliant:
        out.status = "ready"
    else:
        out.causes = lone
    return out


def family_checks(sc: Scenario, first: int, last: int) -> dict[str, Callable[[range], bool]]:
    """Family name -> predicate ``breaks(slot_minutes)`` for every family but INTERPRETER."""
    checks: dict[str, Callable[[range], bool]] = {}
    if sc.coverage is not None:
        coverage = window_minutes(sc.coverage, first, last, sc.coverage_holidays)
        checks["COVERAGE"] = lambda slot: not coverage.issuperset(slot)
    if sc.meeting_hours is not None:
        meeting = window_minutes(sc.meeting_hours, first, last, sc.meeting_holidays)
        checks["CUSTOMER_HOURS"] = lambda slot: not meeting.issuperset(slot)
    blackout = block_minutes(sc.blackouts)
    for weekly in sc.weekly_blackouts:
        blackout |= window_minutes(weekly, first, last)
    checks["CAB_BLACKOUT"] = lambda slot: not blackout.isdisjoint(slot)

    people = {p.id: p for p in sc.people}
    roles = dict(sc.roles)
    handoff: set[int] = set()
    for pid in {roles[r] for r in ROLES}:
        for weekly in people[pid or ""].protected:
            handoff |= window_minutes(weekly, first, last)
    checks["HANDOFF_WINDOW"] = lambda slot: not handoff.isdisjoint(slot)

    for role in ROLES:
        p = people[roles[role] or ""]
        att = attendee(p.availability, p.has_calendar, p.busy, first, last)
        checks[f"ATTENDEE:{role}"] = lambda slot, att=att: not att.attends(slot)
    return checks


def qualifying_interpreters(sc: Scenario, first: int, last: int) -> dict[str, Attendee]:
    """Roster interpreters with the language and approved for the customer (or ``*``)."""
    if not sc.language:
        return {}
    return {
        i.id: attendee(i.availability, i.has_calendar, i.busy, first, last)
        for i in sc.interpreters
        if sc.language in i.languages and (sc.customer_id in i.approved_for or "*" in i.approved_for)
    }
