"""Why a plan is stuck, in terms of the inputs: data for a report, a web page or a chat message to word.

Everything here explains a plan that was already made; nothing changes it. ``diagnose`` re-checks the same
families over the same grid as the planner (``family_grid``; the planner itself stays as fast as it was) and
returns plain values: who was meant for a role but is not in ``people``, why no interpreter can come (the
roster's closest misses, from ``interpreter_diagnosis``), which blackouts stand in the way of which slots,
how many starts inside customer meeting hours each family breaks, and which single busy block of which
internal role holder would open the most slots if moved. Free/busy only: a busy block is an interval, never
an event.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from readout.domain.case import Availability, Case
from readout.domain.families import window_timeline
from readout.domain.family_grid import FamilyGrid, family_grid
from readout.domain.interpreter_diagnosis import InterpreterDeadEnd, interpreter_dead_end
from readout.domain.intervals import Interval, from_micros
from readout.domain.names import CAB_BLACKOUT, CUSTOMER_HOURS, ROLES, attendee_family, family_order
from readout.domain.plan import Plan
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows

__all__ = [
    "INTERNAL_ROLES",
    "BlackoutHelp",
    "BlackoutHit",
    "BusyBlockMove",
    "Calendars",
    "Diagnosis",
    "MeetingHoursCounts",
    "MissingRoleHolder",
    "diagnose",
    "missing_role_holders",
]

# The provider's own role holders: a colleague can be asked to move a meeting; the customer cannot.
INTERNAL_ROLES = ("escalation_manager", "fix_owner", "customer_success_director")


@dataclass(frozen=True)
class Calendars:
    """What was read from calendars for a plan: busy time per person and interpreter id, and the blackout
    blocks read from blackout calendars (in the order read)."""

    people: Mapping[str, Availability]
    interpreters: Mapping[str, Availability]
    blackouts: tuple[Interval, ...] = ()
    blackout_labels: tuple[str, ...] = ()  # one per ``blackouts`` block: the calendar it came from

    def case_as_planned(self, case: Case) -> Case:
        """``case`` with the blocks its blackout calendars gave added, as the planner saw them: labelled
        when the case's labels and these line up with their blocks, else without labels."""
        if not self.blackouts:
            return case
        labels = case.blackouts.labels
        if len(labels) == len(case.blackouts.absolute) and len(self.blackout_labels) == len(self.blackouts):
            labels += self.blackout_labels
        blackouts = dataclasses.replace(
            case.blackouts, absolute=case.blackouts.absolute + self.blackouts, labels=labels
        )
        return dataclasses.replace(case, blackouts=blackouts)


@dataclass(frozen=True)
class MissingRoleHolder:
    """A required role that names nobody in ``people`` (``person_id`` None: not assigned at all), and the
    people id it was probably meant to be."""

    role: str
    person_id: str | None
    suggestion: str | None


@dataclass(frozen=True)
class BlackoutHit:
    """One blackout standing in the way: an absolute block (``label`` as the user wrote it, or None; from a
    blackout calendar when ``from_calendar``) or a weekly window set; ``slots``: how many of the slots it
    blocks."""

    slots: int
    interval: Interval | None = None
    label: str | None = None
    from_calendar: bool = False
    weekly: WeeklyWindows | None = None


@dataclass(frozen=True)
class BlackoutHelp:
    """The starts that break CAB_BLACKOUT and nothing else: the blackouts in their way, the first slots."""

    count: int
    first: tuple[Interval, ...]
    blackouts: tuple[BlackoutHit, ...]


@dataclass(frozen=True)
class MeetingHoursCounts:
    """Per family, how many of the ``starts`` inside customer meeting hours break it."""

    starts: int
    violations: dict[str, int]


@dataclass(frozen=True)
class BusyBlockMove:
    """One busy block of an internal role holder whose moving alone would open ``opens`` compliant slots
    (``first``: the earliest of them)."""

    person_id: str
    roles: tuple[str, ...]
    block: Interval
    opens: int
    first: Interval


@dataclass(frozen=True)
class Diagnosis:
    """Every explanation that applies to one plan; empty parts do not apply."""

    missing_role_holders: tuple[MissingRoleHolder, ...] = ()
    interpreter: InterpreterDeadEnd | None = None
    blackout_help: BlackoutHelp | None = None
    meeting_hours: MeetingHoursCounts | None = None
    moves: tuple[BusyBlockMove, ...] = ()


def diagnose(
    case: Case, plan: Plan, calendars: Calendars | None, moves: int = 3, first_slots: int = 3
) -> Diagnosis:
    """Every explanation that applies to ``plan``, made for ``case`` with ``calendars``.

    ``calendars`` None: what was read is not known, so only what the case alone shows is explained (role
    holders missing from ``people``, an interpreter roster on which nobody qualifies). ``moves``: how many
    busy blocks to offer; ``first_slots``: how many of the slots a blackout blocks to name.
    """
    missing = missing_role_holders(case)
    if calendars is None:
        return Diagnosis(missing, interpreter_dead_end(case, None))
    planned = calendars.case_as_planned(case)
    grid = None if missing else family_grid(planned, plan, calendars.people, calendars.interpreters)
    if grid is None:
        return Diagnosis(missing, interpreter_dead_end(case, None))
    return Diagnosis(
        missing_role_holders=missing,
        interpreter=interpreter_dead_end(planned, grid),
        blackout_help=_blackout_help(planned, grid, len(calendars.blackouts), first_slots),
        meeting_hours=_meeting_hours(grid),
        moves=() if plan.candidates else _moves(planned, grid, moves),
    )


def missing_role_holders(case: Case) -> tuple[MissingRoleHolder, ...]:
    """Required roles naming nobody in ``people``, each with the closest people id (by id or by name)."""
    out = []
    for role in ROLES:
        pid = case.roles.get(role)
        if pid not in case.people:
            out.append(MissingRoleHolder(role, pid, _closest_person(case, pid) if pid else None))
    return tuple(out)


def _closest_person(case: Case, wanted: str) -> str | None:
    """The people id meant by ``wanted``: same id or name ignoring case and separators, else the closest."""
    keys: dict[str, str] = {}
    for pid, person in case.people.items():
        keys.setdefault(_fold(pid), pid)
        keys.setdefault(_fold(person.name), pid)
    if _fold(wanted) in keys:
        return keys[_fold(wanted)]
    close = difflib.get_close_matches(_fold(wanted), list(keys), n=1, cutoff=0.6)
    return keys[close[0]] if close else None


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").replace(".", " ").split())


def _blackout_help(case: Case, grid: FamilyGrid, calendar_blocks: int, first: int) -> BlackoutHelp | None:
    """The starts only a blackout blocks, and which blackouts those are (how many of the starts each)."""
    if CAB_BLACKOUT not in grid.masks:
        return None
    keep = grid.only({CAB_BLACKOUT})
    starts, ends = grid.starts[keep], grid.ends[keep]
    if not len(starts):
        return None
    hits: list[BlackoutHit] = []
    absolute = case.blackouts.absolute
    written = len(absolute) - calendar_blocks
    for n, block in enumerate(absolute):
        count = int(Timeline((block,)).overlaps_all(starts, ends).sum())
        if count:
            label = case.blackouts.labels[n] if n < len(case.blackouts.labels) else ""
            hits.append(BlackoutHit(count, block, label or None, from_calendar=n >= written))
    for weekly in case.blackouts.weekly:
        first_day = from_micros(int(starts[0])).astimezone(weekly.zone).date() - timedelta(days=1)
        last_day = from_micros(int(ends[-1])).astimezone(weekly.zone).date() + timedelta(days=1)
        windows = window_timeline(weekly, first_day, last_day, frozenset())
        count = int(windows.overlaps_all(starts, ends).sum())
        if count:
            hits.append(BlackoutHit(count, weekly=weekly))
    slots = tuple(
        Interval(from_micros(a), from_micros(b))
        for a, b in zip(starts[:first].tolist(), ends[:first].tolist(), strict=True)
    )
    return BlackoutHelp(len(starts), slots, tuple(hits))


def _meeting_hours(grid: FamilyGrid) -> MeetingHoursCounts | None:
    if CUSTOMER_HOURS not in grid.masks:
        return None
    inside = ~grid.masks[CUSTOMER_HOURS]
    counts = {f: int((m & inside).sum()) for f, m in grid.masks.items() if f != CUSTOMER_HOURS}
    ordered = {f: counts[f] for f in sorted(counts, key=family_order) if counts[f]}
    return MeetingHoursCounts(int(inside.sum()), ordered)


def _moves(case: Case, grid: FamilyGrid, limit: int) -> tuple[BusyBlockMove, ...]:
    """Per internal role holder, the busy blocks that alone keep compliant slots away, most slots first."""
    holders: dict[str, list[str]] = {}
    for role in ROLES:
        holders.setdefault(case.roles[role] or "", []).append(role)
    found: list[BusyBlockMove] = []
    for pid, roles in holders.items():
        if not set(roles) <= set(INTERNAL_ROLES):
            continue  # the customer's people (or someone holding a customer role too): not ours to ask
        att = grid.constraints.roles[roles[0]]
        if att.unknown or not len(att.busy):
            continue
        keep = grid.only({attendee_family(r) for r in roles})
        if att.windows is not None:
            keep &= att.windows.covers_all(grid.starts, grid.ends)  # busy, not outside their windows
        starts, ends = grid.starts[keep], grid.ends[keep]
        first = np.searchsorted(att.busy.ends, starts, side="right")  # first block ending after the start
        after = np.searchsorted(att.busy.starts, ends, side="left")  # blocks starting before the end
        lone = (after - first) == 1
        blocks, firsts = first[lone], starts[lone]
        for index in np.unique(blocks).tolist():
            opened = firsts[blocks == index]
            block = Interval(from_micros(int(att.busy.starts[index])), from_micros(int(att.busy.ends[index])))
            begin = from_micros(int(opened[0]))
            found.append(
                BusyBlockMove(
                    pid, tuple(roles), block, len(opened), Interval(begin, begin + case.readout.duration)
                )
            )
    found.sort(key=lambda m: (-m.opens, m.block.start, m.person_id))
    return tuple(found[:limit])
