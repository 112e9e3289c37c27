"""The availability grid of an escalation's page, as rows x columns of cells: pure, no I/O.

Columns are the plan's candidate starts (the planner's own grid, ``FamilyGrid``), labelled in a zone the
viewer picks; each is ``compliant`` (a plan candidate), ``near-miss`` (a plan near miss: only waivable
families broken) or ``blocked``, with the families it breaks. Rows are the required role holders, the
qualifying interpreters and the optional attendees (marked), then support coverage hours, customer meeting
hours, CAB blackouts and handoff windows. A person's cell says whether they can attend the slot starting
there: free, busy, tentative (the slot is held for this readout), unknown (free/busy not verified: no
calendar; or calendar unreadable), or outside their availability. Free/busy only: a cell never knows an
event's title.

Large horizons stay bounded: at most ``MAX_COLUMNS`` columns; compliant starts, near misses and held starts
are kept first, then starts inside coverage and customer hours, and the page says how many were left out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Case
from readout.domain.families import Attendance
from readout.domain.family_grid import FamilyGrid
from readout.domain.intervals import Interval, from_micros
from readout.domain.names import (
    CAB_BLACKOUT,
    COVERAGE,
    CUSTOMER_HOURS,
    HANDOFF_WINDOW,
    INTERPRETER,
    ROLES,
    WAIVER_AUTHORITY,
    family_order,
)
from readout.domain.plan import Plan
from readout.presentation.times import city, day_name

__all__ = [
    "CELL_TEXT",
    "MAX_COLUMNS",
    "Cell",
    "Column",
    "Day",
    "Grid",
    "Kind",
    "Row",
    "Run",
    "attendee_cell",
    "bounded",
    "build_grid",
    "column_kind",
    "column_mark",
    "day_heading",
    "family_text",
    "known_zone",
    "runs",
    "utc_offset",
    "why_text",
]

MAX_COLUMNS = 800  # over 8 days of 15-minute starts (~0.7 MB of HTML): fast to render, to load and to read


class Cell(StrEnum):
    """What one cell shows (its CSS class is ``c-`` + the value)."""

    FREE = "free"
    BUSY = "busy"
    TENTATIVE = "tentative"
    UNVERIFIED = "unverified"
    UNREADABLE = "unreadable"
    OUTSIDE = "outside"
    BLACKOUT = "blackout"
    HANDOFF = "handoff"
    OPEN = "open"  # inside coverage or customer meeting hours
    CLOSED = "closed"  # outside them
    CLEAR = "clear"  # no blackout, no handoff window


# The words a screen reader (and the tooltip) gives for each cell: never colour alone.
CELL_TEXT: dict[Cell, str] = {
    Cell.FREE: "free",
    Cell.BUSY: "busy",
    Cell.TENTATIVE: "tentative: held for this readout",
    Cell.UNVERIFIED: "unknown: free/busy not verified (no calendar)",
    Cell.UNREADABLE: "unknown: calendar unreadable",
    Cell.OUTSIDE: "outside availability",
    Cell.BLACKOUT: "CAB blackout",
    Cell.HANDOFF: "handoff window",
    Cell.OPEN: "inside hours",
    Cell.CLOSED: "outside hours",
    Cell.CLEAR: "clear",
}


class Kind(StrEnum):
    """A column's kind (its ``data-kind``)."""

    COMPLIANT = "compliant"
    NEAR_MISS = "near-miss"
    BLOCKED = "blocked"


def attendee_cell(*, unreadable: bool, verified: bool, inside: bool, busy: bool, held: bool) -> Cell:
    """One person's (or interpreter's) cell: an unreadable calendar first (fail closed: unavailable for
    every slot), then outside their availability windows, busy, the slot held for this readout (our own
    tentative hold), taken as free without a calendar, else free."""
    if unreadable:
        return Cell.UNREADABLE
    if not inside:
        return Cell.OUTSIDE
    if busy:
        return Cell.BUSY
    if held:
        return Cell.TENTATIVE
    if not verified:
        return Cell.UNVERIFIED
    return Cell.FREE


def column_kind(start: datetime, candidates: Collection[datetime], near_misses: Collection[datetime]) -> Kind:
    """``compliant`` for a plan candidate's start, ``near-miss`` for a near miss's, else ``blocked``."""
    if start in candidates:
        return Kind.COMPLIANT
    if start in near_misses:
        return Kind.NEAR_MISS
    return Kind.BLOCKED


def family_text(family: str, names: Mapping[str, str], language: str | None = None) -> str:
    """What breaking ``family`` means, in words; ``names``: role -> the holder's display name."""
    if family.startswith("ATTENDEE:"):
        role = family.split(":", 1)[1]
        return f"{names.get(role, role.replace('_', ' '))} busy or unavailable"
    texts = {
        COVERAGE: "outside support coverage hours",
        CUSTOMER_HOURS: "outside customer meeting hours",
        CAB_BLACKOUT: "overlaps a CAB blackout",
        HANDOFF_WINDOW: "crosses a handoff window",
        INTERPRETER: f"no approved '{language}' interpreter free" if language else "no interpreter free",
    }
    return texts.get(family, family)


def why_text(kind: Kind, families: Sequence[str], names: Mapping[str, str], language: str | None) -> str:
    """What a column's header says on hover or focus: compliant, or which families block it (for a near
    miss: the waivers it needs and who may grant them)."""
    if kind is Kind.COMPLIANT:
        return "Compliant: every rule is met."
    named = "; ".join(f"{family_text(f, names, language)} ({f})" for f in families)
    if kind is Kind.NEAR_MISS:
        who = "; ".join(f"{f}: {WAIVER_AUTHORITY.get(f, 'support leadership')}" for f in families)
        return f"Near miss, needs a waiver: {named}. Who may waive: {who}."
    return f"Blocked by: {named}." if named else "Blocked."


def utc_offset(moment: datetime, zone: ZoneInfo) -> str:
    """``UTC+05:30``, ``UTC−06:00`` (a true minus sign), ``UTC`` for no offset."""
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def day_heading(day: date, starts: Sequence[datetime], zone: ZoneInfo) -> str:
    """``Tue 17 Nov, Mexico City (UTC−06:00)``; both offsets when daylight saving changes that day
    (``Sun 1 Nov, Chicago (UTC−05:00, then UTC−06:00)``)."""
    offsets = list(dict.fromkeys(utc_offset(s, zone) for s in starts))
    return f"{day_name(day)}, {city(zone.key)} ({', then '.join(offsets)})"


def local_label(moment: datetime, zone: ZoneInfo) -> str:
    """``09:00 CST``: a wall time with the zone's abbreviation (or offset) at that instant."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def known_zone(key: str) -> ZoneInfo | None:
    """The IANA zone ``key`` names, or None (a name the system does not know, or not a zone at all)."""
    if not key or len(key) > 64 or key not in _zones():
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def bounded(keep: NDArray[np.bool_], in_hours: NDArray[np.bool_], cap: int) -> NDArray[np.int64]:
    """The positions of the columns to show, in order, at most ``cap``: every ``keep`` (compliant, near
    miss, held) first, then starts inside coverage and customer hours, then the rest, earliest first."""
    if len(keep) <= cap:
        return np.arange(len(keep), dtype=np.int64)
    chosen: list[NDArray[np.int64]] = []
    room = cap
    for mask in (keep, ~keep & in_hours, ~keep & ~in_hours):
        picked = np.flatnonzero(mask)[:room]
        chosen.append(picked.astype(np.int64))
        room -= len(picked)
    return np.sort(np.concatenate(chosen))


@dataclass(frozen=True)
class Column:
    """One candidate start; ``families``: those it breaks (in display order); ``waivers``: a near miss's."""

    start: datetime
    end: datetime
    kind: Kind
    families: tuple[str, ...]
    held: bool
    label: str  # wall time in the zone the viewer picked
    why: str


@dataclass(frozen=True)
class Row:
    """One row: a person (``kind`` role, interpreter, optional) or a window row (``kind`` window), with a
    cell per column and, for people, their own wall time at each column (``local``)."""

    key: str
    label: str
    detail: str
    kind: str
    cells: tuple[Cell, ...]
    local: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    """Equal cells side by side in a window row (one ``<td colspan>``): columns ``first`` to ``last``."""

    cell: Cell
    mark: str
    first: int
    last: int

    @property
    def span(self) -> int:
        return self.last - self.first + 1


def runs(cells: Sequence[Cell], marks: Sequence[str], lo: int, hi: int) -> list[Run]:
    """The cells ``lo`` to ``hi - 1`` as runs of the same cell under the same column mark (a marked
    column, compliant or near miss or held, keeps its mark on every row)."""
    out: list[Run] = []
    for k in range(lo, hi):
        last = out[-1] if out else None
        if last is not None and last.cell == cells[k] and last.mark == marks[k]:
            out[-1] = Run(last.cell, last.mark, last.first, k)
        else:
            out.append(Run(cells[k], marks[k], k, k))
    return out


def column_mark(kind: Kind, held: bool) -> str:
    """The CSS classes that mark a column across all rows ("" for a blocked column not held)."""
    mark = "" if kind is Kind.BLOCKED else f"k-{kind.value}"
    return f"{mark} held".strip() if held else mark


@dataclass(frozen=True)
class Day:
    """The columns of one local day (in the zone the viewer picked): ``columns[lo:hi]`` of the grid."""

    day: date
    heading: str
    lo: int
    hi: int


@dataclass(frozen=True)
class Grid:
    """Columns, rows and days; ``hidden``: starts left out to keep the page bounded."""

    zone: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    days: tuple[Day, ...]
    total: int
    hidden: int

    @property
    def marks(self) -> tuple[str, ...]:
        """Per column, the classes that mark it across all rows."""
        return tuple(column_mark(c.kind, c.held) for c in self.columns)


class _Attendee(NamedTuple):
    key: str
    name: str
    detail: str
    kind: str
    zone: ZoneInfo
    attendance: Attendance
    verified: bool  # has a calendar (else taken as free: "free/busy not verified")


def _attendees(case: Case, grid: FamilyGrid) -> list[_Attendee]:
    """The people rows in display order: role holders (one row per person, naming every role they hold),
    qualifying interpreters, optional attendees."""
    out: list[_Attendee] = []
    holders: dict[str, list[str]] = {}
    for role in ROLES:
        holders.setdefault(case.roles[role] or "", []).append(role)
    for pid, roles in holders.items():
        person = case.people[pid]
        detail = ", ".join(r.replace("_", " ") for r in roles)
        att = grid.constraints.roles[roles[0]]
        out.append(_Attendee(pid, person.name, detail, "role", person.zone, att, person.has_calendar))
    for interp, att in grid.constraints.interpreters:
        key = f"interpreter:{interp.id}"
        out.append(
            _Attendee(key, interp.name, "interpreter", "interpreter", interp.zone, att, interp.has_calendar)
        )
    for person, att in grid.constraints.optional:
        key = f"optional:{person.id}"
        out.append(
            _Attendee(
                key, person.name, "optional attendee", "optional", person.zone, att, person.has_calendar
            )
        )
    return out


def _window_rows(case: Case, masks: Mapping[str, NDArray[np.bool_]]) -> list[Row]:
    rows: list[Row] = []
    if COVERAGE in masks and case.coverage is not None:
        cells = tuple(Cell.CLOSED if b else Cell.OPEN for b in masks[COVERAGE].tolist())
        detail = f"{city(case.coverage.hours.zone.key)} time"
        rows.append(Row("coverage", "Support coverage hours", detail, "window", cells))
    if CUSTOMER_HOURS in masks and case.meeting_hours is not None:
        cells = tuple(Cell.CLOSED if b else Cell.OPEN for b in masks[CUSTOMER_HOURS].tolist())
        detail = f"{case.customer_name}, {city(case.meeting_hours.hours.zone.key)} time"
        rows.append(Row("customer-hours", "Customer meeting hours", detail, "window", cells))
    if CAB_BLACKOUT in masks:
        cells = tuple(Cell.BLACKOUT if b else Cell.CLEAR for b in masks[CAB_BLACKOUT].tolist())
        rows.append(Row("blackouts", "CAB blackouts", "change freezes and release windows", "window", cells))
    if HANDOFF_WINDOW in masks:
        cells = tuple(Cell.HANDOFF if b else Cell.CLEAR for b in masks[HANDOFF_WINDOW].tolist())
        rows.append(
            Row("handoffs", "Handoff windows", "role holders' follow-the-sun handoffs", "window", cells)
        )
    return rows


def build_grid(
    case: Case,
    plan: Plan,
    grid: FamilyGrid,
    held: Iterable[Interval],
    zone: ZoneInfo,
    cap: int = MAX_COLUMNS,
) -> Grid:
    """The grid of ``plan`` (made for ``case`` on ``grid``), labelled in ``zone``; ``held``: the slots of the
    live holds (marked across all rows, and a person's free cell there reads as tentative)."""
    candidates = {c.start for c in plan.candidates}
    near = {m.start for m in plan.near_misses}
    held_starts = {h.start for h in held}
    all_starts = [from_micros(int(s)) for s in grid.starts.tolist()]
    keep = np.array([s in candidates or s in near or s in held_starts for s in all_starts], dtype=bool)
    shown = bounded(keep, grid.in_hours, cap)
    starts, ends = grid.starts[shown], grid.ends[shown]
    masks = {f: m[shown] for f, m in grid.masks.items()}
    moments = [all_starts[i] for i in shown.tolist()]
    is_held = np.array([s in held_starts for s in moments], dtype=bool)
    families = sorted(masks, key=family_order)
    broken = [tuple(f for f in families if masks[f][k]) for k in range(len(moments))]
    names = {r: case.people[case.roles[r] or ""].name for r in ROLES if (case.roles[r] or "") in case.people}
    language = case.readout.language
    duration = case.readout.duration
    columns = []
    for k, start in enumerate(moments):
        kind = column_kind(start, candidates, near)
        label = f"{start.astimezone(zone):%H:%M}"
        why = why_text(kind, broken[k], names, language)
        columns.append(Column(start, start + duration, kind, broken[k], bool(is_held[k]), label, why))
    rows: list[Row] = []
    for who in _attendees(case, grid):
        att = who.attendance
        inside = (
            att.windows.covers_all(starts, ends) if att.windows is not None else np.ones(len(starts), bool)
        )
        busy = att.busy.overlaps_all(starts, ends)
        cells = tuple(
            attendee_cell(unreadable=att.unknown, verified=who.verified, inside=i, busy=b, held=h)
            for i, b, h in zip(inside.tolist(), busy.tolist(), is_held.tolist(), strict=True)
        )
        local = tuple(local_label(s, who.zone) for s in moments)
        rows.append(
            Row(who.key, who.name, f"{who.detail}; {city(who.zone.key)} time", who.kind, cells, local)
        )
    rows += _window_rows(case, masks)
    return Grid(
        zone.key,
        tuple(columns),
        tuple(rows),
        _days(moments, zone),
        len(all_starts),
        len(all_starts) - len(moments),
    )


def _days(moments: Sequence[datetime], zone: ZoneInfo) -> tuple[Day, ...]:
    """The columns grouped by their local date in ``zone`` (they are in time order)."""
    days: list[Day] = []
    lo = 0
    for k in range(1, len(moments) + 1):
        if k == len(moments) or moments[k].astimezone(zone).date() != moments[lo].astimezone(zone).date():
            day = moments[lo].astimezone(zone).date()
            days.append(Day(day, day_heading(day, moments[lo:k], zone), lo, k))
            lo = k
    return tuple(days)
