"""Why a plan is stuck, in terms of the inputs: data for a report, a web page or a chat message to word.

Everything here explains a plan that was already made; nothing changes it. ``diagnose`` re-checks the same
families over the same grid as the planner (the planner itself stays as fast as it was) and returns plain
values: who was meant for a role but is not in ``people``, why no interpreter can come (the roster's closest
misses), which blackouts stand in the way of which slots, how many starts inside customer meeting hours each
family breaks, and which single busy block of which internal role holder would open the most slots if moved.
Free/busy only: a busy block is an interval, never an event.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Availability, Case
from readout.domain.families import Attendance, Constraints, window_timeline
from readout.domain.grid import candidate_start_micros
from readout.domain.intervals import Interval, from_micros
from readout.domain.languages import served_by_any, serves
from readout.domain.names import (
    CAB_BLACKOUT,
    COVERAGE,
    CUSTOMER_HOURS,
    INTERPRETER,
    ROLES,
    attendee_family,
    family_order,
)
from readout.domain.plan import Plan, PlanStatus
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows

__all__ = [
    "INTERNAL_ROLES",
    "BlackoutHelp",
    "BlackoutHit",
    "BusyBlockMove",
    "Calendars",
    "Diagnosis",
    "InterpreterDeadEnd",
    "InterpreterMiss",
    "MeetingHoursCounts",
    "MissKind",
    "MissingRoleHolder",
    "Problem",
    "diagnose",
    "interpreter_misses",
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


@dataclass(frozen=True)
class MissingRoleHolder:
    """A required role that names nobody in ``people`` (``person_id`` None: not assigned at all), and the
    people id it was probably meant to be."""

    role: str
    person_id: str | None
    suggestion: str | None


class MissKind(Enum):
    """Why a roster interpreter does not serve this readout."""

    LANGUAGE_NAME = "language_name"  # lists the language by name ("Portuguese"), not its tag ("pt")
    LANGUAGE_CODE = "language_code"  # lists a three-letter code ("por") for the two-letter tag ("pt")
    LANGUAGE_BROADER = "language_broader"  # lists "pt" where the readout asks for "pt-BR"
    APPROVED_BY_NAME = "approved_by_name"  # approval list holds the customer's name, not its id
    APPROVED_NEAR_ID = "approved_near_id"  # approval list holds something close to the id ("banco_solaris")
    APPROVED_FOR_OTHERS = "approved_for_others"  # speaks it, approved for other customers only
    NEVER_AVAILABLE = "never_available"  # qualifies; availability windows never hold a slot in the hours
    BUSY = "busy"  # qualifies and is available, but busy at every such start
    CALENDAR_UNREADABLE = "calendar_unreadable"  # qualifies; the calendar failed, so never free


@dataclass(frozen=True)
class Problem:
    """One reason, with the input values it is about (``values``) or how many starts (``count``)."""

    kind: MissKind
    values: tuple[str, ...] = ()
    count: int = 0


@dataclass(frozen=True)
class InterpreterMiss:
    """A roster interpreter who almost serves this readout, and every reason they do not."""

    interpreter_id: str
    name: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class InterpreterDeadEnd:
    """No interpreter can come to any start inside the hours: who was looked for and the closest misses
    (fewest problems first). ``unrelated``: roster entries that do not speak the language in any form."""

    language: str
    customer_id: str
    customer_name: str
    roster: int
    qualifying: int
    misses: tuple[InterpreterMiss, ...]
    unrelated: int
    in_hours: int = 0  # starts inside coverage and meeting hours (0 when calendars were not known)


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


def missing_role_holders(case: Case) -> tuple[MissingRoleHolder, ...]:
    """Required roles naming nobody in ``people``, each with the closest people id (by id or by name)."""
    out = []
    for role in ROLES:
        pid = case.roles.get(role)
        if pid not in case.people:
            out.append(MissingRoleHolder(role, pid, _closest_person(case, pid) if pid else None))
    return tuple(out)


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").replace(".", " ").split())


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


@lru_cache(maxsize=1)
def _language_words() -> tuple[dict[str, str], dict[str, str]]:
    """CLDR's three-letter aliases (``por`` -> ``pt``) and English language names (``portuguese`` ->
    ``pt``, ``brazilian portuguese`` -> ``pt-BR``), both keyed case-folded."""
    from babel import Locale  # only an explanation needs CLDR's language data
    from babel.core import get_global

    aliases = {k.casefold(): str(v).replace("_", "-") for k, v in get_global("language_aliases").items()}
    names = {str(v).casefold(): k.replace("_", "-") for k, v in Locale("en").languages.items()}
    return aliases, names


def _own_name(language: str) -> str | None:
    """The language's name in itself (``português`` for ``pt``), when CLDR knows it."""
    from babel import Locale, UnknownLocaleError

    primary = language.split("-", 1)[0]
    try:
        name = Locale.parse(primary).get_language_name(primary)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return name.casefold() if name else None


def _near(tag: str, requested: str) -> bool:
    """``tag`` serves ``requested`` or is a broader tag of it (``pt`` for ``pt-BR``)."""
    return serves(tag, requested) or serves(requested, tag)


def _language_problem(languages: tuple[str, ...], requested: str) -> Problem | None:
    """How the interpreter's languages almost serve ``requested`` (a name or a three-letter code for it or
    a broader language, or a broader tag); None when they do not at all."""
    aliases, names = _language_words()
    own = _own_name(requested)
    found: dict[MissKind, list[str]] = {}
    for tag in (t for t in languages if t.strip()):
        word = " ".join(tag.casefold().split())
        primary, _, rest = word.partition("-")
        coded = aliases.get(primary)
        if (word in names and _near(names[word], requested)) or word == own:
            found.setdefault(MissKind.LANGUAGE_NAME, []).append(tag)
        elif coded is not None and _near(coded + ("-" + rest if rest else ""), requested):
            found.setdefault(MissKind.LANGUAGE_CODE, []).append(tag)
        elif serves(requested, tag):  # "pt" listed, "pt-BR" asked for: basic filtering says no
            found.setdefault(MissKind.LANGUAGE_BROADER, []).append(tag)
    for kind in (MissKind.LANGUAGE_NAME, MissKind.LANGUAGE_CODE, MissKind.LANGUAGE_BROADER):
        if kind in found:
            return Problem(kind, tuple(found[kind]))
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _approval_problem(approved: tuple[str, ...], case: Case) -> Problem | None:
    """Why the approval list does not hold the customer: its name, a near spelling of its id, or others."""
    if "*" in approved or case.customer_id in approved:
        return None
    named = [a for a in approved if a.casefold().split() == case.customer_name.casefold().split()]
    if named:
        return Problem(MissKind.APPROVED_BY_NAME, tuple(named))
    near = [
        a
        for a in approved
        if _slug(a) == _slug(case.customer_id)
        or difflib.SequenceMatcher(None, a.casefold(), case.customer_id.casefold()).ratio() >= 0.8
    ]
    if near:
        return Problem(MissKind.APPROVED_NEAR_ID, tuple(near))
    return Problem(MissKind.APPROVED_FOR_OTHERS, approved)


def interpreter_misses(case: Case) -> tuple[tuple[InterpreterMiss, ...], int]:
    """Roster interpreters who do not qualify but speak the readout's language in some form (by name, a
    three-letter code, a broader tag, or exactly while approved for others), closest first; and how many
    others there are (not speaking it in any form)."""
    language = case.readout.language
    if not language:
        return (), 0
    misses: list[InterpreterMiss] = []
    unrelated = 0
    for interp in case.interpreters:
        if interp.qualifies(language, case.customer_id):
            continue
        speaks = served_by_any(interp.languages, language)
        spoken = None if speaks else _language_problem(interp.languages, language)
        if not speaks and spoken is None:
            unrelated += 1
            continue
        approval = _approval_problem(interp.approved_for, case)
        problems = tuple(p for p in (spoken, approval) if p is not None)
        misses.append(InterpreterMiss(interp.id, interp.name, problems))
    misses.sort(key=lambda m: len(m.problems))  # stable: roster order among equals
    return tuple(misses), unrelated


def _availability_problem(att: Attendance, busy: Availability | None, inside: _Grid) -> Problem:
    """Why a qualifying interpreter can attend no start inside the hours (the caller checked that)."""
    if att.unknown:
        error = busy.error if busy is not None and busy.error else "calendar not read"
        return Problem(MissKind.CALENDAR_UNREADABLE, (error,))
    windowed = np.ones(len(inside.starts), dtype=bool)
    if att.windows is not None:
        windowed = att.windows.covers_all(inside.starts, inside.ends)
    count = int(windowed.sum())
    return Problem(MissKind.BUSY, count=count) if count else Problem(MissKind.NEVER_AVAILABLE)


def _interpreter_dead_end(case: Case, grid: _Grid | None) -> InterpreterDeadEnd | None:
    """The interpreter explanation when no interpreter can come to any start inside the hours (or, without
    calendars, when nobody on the roster qualifies)."""
    language = case.readout.language
    if not language:
        return None
    qualifying = [i for i in case.interpreters if i.qualifies(language, case.customer_id)]
    found: list[InterpreterMiss] = []
    if qualifying:
        if grid is None:
            return None
        inside = grid.subset(grid.in_hours)
        if not len(inside.starts) or not grid.masks[INTERPRETER][grid.in_hours].all():
            return None  # someone can come: not a dead end (and CLDR's language data is never loaded)
        found = [
            InterpreterMiss(
                interp.id,
                interp.name,
                (_availability_problem(att, grid.interpreter_busy.get(interp.id), inside),),
            )
            for interp, att in grid.constraints.interpreters
        ]
    misses, unrelated = interpreter_misses(case)
    misses = tuple(found) + misses
    in_hours = int(grid.in_hours.sum()) if grid is not None else 0
    return InterpreterDeadEnd(
        language,
        case.customer_id,
        case.customer_name,
        len(case.interpreters),
        len(qualifying),
        misses,
        unrelated,
        in_hours,
    )


@dataclass(frozen=True)
class _Grid:
    """The plan's candidate starts with every family's mask, as the planner computed them."""

    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    masks: dict[str, NDArray[np.bool_]]
    constraints: Constraints
    interpreter_busy: Mapping[str, Availability]

    @property
    def in_hours(self) -> NDArray[np.bool_]:
        """Starts inside support coverage and customer meeting hours (where a readout could be at all)."""
        ok = np.ones(len(self.starts), dtype=bool)
        for family in (COVERAGE, CUSTOMER_HOURS):
            if family in self.masks:
                ok &= ~self.masks[family]
        return ok

    def subset(self, keep: NDArray[np.bool_]) -> _Grid:
        masks = {f: m[keep] for f, m in self.masks.items()}
        return _Grid(self.starts[keep], self.ends[keep], masks, self.constraints, self.interpreter_busy)

    def only(self, families: set[str]) -> NDArray[np.bool_]:
        """Starts that break exactly ``families`` and nothing else."""
        ok = np.ones(len(self.starts), dtype=bool)
        for family, mask in self.masks.items():
            ok &= mask if family in families else ~mask
        return ok


def _grid(case: Case, plan: Plan, calendars: Calendars) -> _Grid | None:
    if plan.status is PlanStatus.NOT_READY or plan.earliest_start is None or plan.deadline is None:
        return None
    duration = case.readout.duration
    starts = candidate_start_micros(
        plan.earliest_start, plan.deadline, duration, case.grid_zone, case.granularity
    )
    ends = starts + duration // timedelta(microseconds=1)
    span = Interval(plan.earliest_start, max(plan.earliest_start, plan.deadline))
    constraints = Constraints(case, span, calendars.people, calendars.interpreters)
    return _Grid(starts, ends, constraints.broken_all(starts, ends), constraints, calendars.interpreters)


def _blackout_help(case: Case, grid: _Grid, calendar_blocks: int, first: int) -> BlackoutHelp | None:
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


def _meeting_hours(grid: _Grid) -> MeetingHoursCounts | None:
    if CUSTOMER_HOURS not in grid.masks:
        return None
    inside = ~grid.masks[CUSTOMER_HOURS]
    counts = {f: int((m & inside).sum()) for f, m in grid.masks.items() if f != CUSTOMER_HOURS}
    ordered = {f: counts[f] for f in sorted(counts, key=family_order) if counts[f]}
    return MeetingHoursCounts(int(inside.sum()), ordered)


def _moves(case: Case, grid: _Grid, limit: int) -> tuple[BusyBlockMove, ...]:
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
        return Diagnosis(missing, _interpreter_dead_end(case, None))
    labels = case.blackouts.labels
    if len(labels) == len(case.blackouts.absolute) and len(calendars.blackout_labels) == len(
        calendars.blackouts
    ):
        labels += calendars.blackout_labels
    blackouts = dataclasses.replace(
        case.blackouts, absolute=case.blackouts.absolute + calendars.blackouts, labels=labels
    )
    planned = dataclasses.replace(case, blackouts=blackouts)
    grid = None if missing else _grid(planned, plan, calendars)
    if grid is None:
        return Diagnosis(missing, _interpreter_dead_end(case, None))
    return Diagnosis(
        missing_role_holders=missing,
        interpreter=_interpreter_dead_end(planned, grid),
        blackout_help=_blackout_help(planned, grid, len(calendars.blackouts), first_slots),
        meeting_hours=_meeting_hours(grid),
        moves=() if plan.candidates else _moves(planned, grid, moves),
    )
