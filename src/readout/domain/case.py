"""The planning case as the core sees it: plain frozen values, already validated at the edge.

Calendars are not here: busy time arrives separately (see ``Availability``), because it is read for the
planning range that the case itself determines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from readout.domain.intervals import Interval
from readout.domain.languages import served_by_any
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows

__all__ = [
    "Availability",
    "Blackouts",
    "BusyStatus",
    "Case",
    "Coverage",
    "HolidaySet",
    "Interpreter",
    "MeetingHours",
    "Person",
    "Readout",
]


@dataclass(frozen=True)
class HolidaySet:
    """Local dates that are not working days (public holidays plus extra dates)."""

    dates: frozenset[date] = frozenset()

    def __contains__(self, day: object) -> bool:
        return day in self.dates


@dataclass(frozen=True)
class Readout:
    """What the contract asks for."""

    due_business_days: int
    duration: timedelta
    min_notice: timedelta
    language: str | None = None
    modality: str = "video"


@dataclass(frozen=True)
class Person:
    """A role holder or optional attendee. ``protected`` are follow-the-sun handoff windows."""

    id: str
    name: str
    email: str
    zone: ZoneInfo
    availability: WeeklyWindows | None = None
    protected: tuple[WeeklyWindows, ...] = ()
    has_calendar: bool = False
    # Ranking only, never a constraint (``availability`` stays the hard limit): the hours the person prefers
    # to meet in, and the hours they should not be asked to (a slot in them ranks below every slot that is
    # not). None: the defaults of ``domain/ranking.py``.
    working_hours: WeeklyWindows | None = None
    night_hours: WeeklyWindows | None = None


@dataclass(frozen=True)
class Interpreter:
    """An entry of the approved-interpreter roster."""

    id: str
    name: str
    email: str
    zone: ZoneInfo
    languages: tuple[str, ...]
    approved_for: tuple[str, ...]
    availability: WeeklyWindows | None = None
    has_calendar: bool = False
    # Ranking only, as for ``Person``.
    working_hours: WeeklyWindows | None = None
    night_hours: WeeklyWindows | None = None

    def qualifies(self, language: str, customer_id: str) -> bool:
        """Speaks a language that serves ``language`` (BCP 47 tags, RFC 4647 basic filtering, any case:
        ``pt`` is served by ``pt-BR``, ``pt-BR`` not by ``pt``) and is approved for the customer (or all)."""
        approved = "*" in self.approved_for or customer_id in self.approved_for
        return approved and served_by_any(self.languages, language)


@dataclass(frozen=True)
class Coverage:
    """Published support coverage hours; no coverage on the holiday dates (local to the coverage zone)."""

    hours: WeeklyWindows
    holidays: HolidaySet = HolidaySet()


@dataclass(frozen=True)
class MeetingHours:
    """Customer meeting hours, removed on customer holidays."""

    hours: WeeklyWindows
    holidays: HolidaySet = HolidaySet()


@dataclass(frozen=True)
class Blackouts:
    """CAB blackout blocks: absolute intervals (incl. from a calendar) and weekly recurring windows."""

    absolute: tuple[Interval, ...] = ()
    weekly: tuple[WeeklyWindows, ...] = ()
    # What the user wrote for each ``absolute`` block (its ``note``, or the calendar file it came from), in
    # the same order; empty when unknown. Explanations name blackouts with it. Not part of equality: two
    # Blackouts with the same blocks plan identically.
    labels: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Case:
    """Everything the planner needs except busy time and the clock."""

    escalation_id: str
    customer_id: str
    customer_name: str
    customer_zone: ZoneInfo
    approved_at: datetime | None
    readout: Readout
    business_zone: ZoneInfo
    business_holidays: HolidaySet
    people: dict[str, Person]
    roles: dict[str, str | None]
    optional_attendees: tuple[str, ...] = ()
    interpreters: tuple[Interpreter, ...] = ()
    coverage: Coverage | None = None
    meeting_hours: MeetingHours | None = None
    blackouts: Blackouts = Blackouts()
    granularity: int = 15
    tentative_is_busy: bool = True
    hold_count: int = 3
    hold_ttl: timedelta = timedelta(hours=24)
    summary: str = field(default="", repr=False)  # internal only: never copied into holds, invites or logs
    # Things in the case file that are valid but probably not what the user meant (a zone abbreviation such
    # as ``EST``): shown with the plan, never a reason to refuse it.
    warnings: tuple[str, ...] = ()

    @property
    def grid_zone(self) -> ZoneInfo:
        """Zone whose local midnight anchors the candidate grid: coverage zone, else UTC."""
        return self.coverage.hours.zone if self.coverage else ZoneInfo("UTC")


_NO_BUSY = Timeline()


class BusyStatus(Enum):
    """How much we know about someone's free/busy."""

    KNOWN = "known"  # read from a calendar
    UNVERIFIED = "unverified"  # no calendar configured: taken as free, and the plan says so
    UNKNOWN = "unknown"  # a configured source failed: blocks every slot (fail closed)


@dataclass(frozen=True)
class Availability:
    """Busy time of one person or interpreter over the planning range.

    The busy intervals are also kept merged as a ``Timeline`` (microsecond arrays), built once when the value
    is created, i.e. when the calendar is read: every plan that uses this availability queries that.
    """

    status: BusyStatus
    busy: tuple[Interval, ...] = ()
    error: str | None = None
    timeline: Timeline = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeline", Timeline(self.busy) if self.busy else _NO_BUSY)

    @classmethod
    def known(cls, busy: tuple[Interval, ...]) -> Availability:
        return cls(BusyStatus.KNOWN, busy)

    @classmethod
    def unverified(cls) -> Availability:
        return cls(BusyStatus.UNVERIFIED)

    @classmethod
    def unknown(cls, error: str) -> Availability:
        return cls(BusyStatus.UNKNOWN, (), error)
