"""Ranking of compliant slots: a deterministic score a program manager can follow (``docs/ranking.md``).

score = 0.5 * night-free + 0.5 * (0.30 * earliness + 0.40 * comfort + 0.20 * buffer + 0.10 * optional)

- night-free: 1 when the slot touches nobody's night hours, else 0. Every slot that keeps all attendees out
  of their night hours therefore scores at least 0.5 and every slot that does not scores at most 0.5, and the
  planner lists night-free slots first (lexicographic), whatever the other parts say.
- earliness: 1 for the first possible start, 0 for the last; earlier is safer against the deadline.
- comfort: per attendee (role holders and the interpreter), in their own time zone, graded by how far the
  slot reaches outside their working hours (default Mon-Fri 09:00-17:00): 1 inside, minus 1/8 for each hour
  beyond, 0 from eight hours. Half the mean and half the worst of the attendees.
- buffer: distance to the nearest CAB blackout or protected handoff window, full marks at two hours.
- optional: share of the optional attendees who are free (1 when there are none).

Night hours default to 22:00-07:00 every day, less any stated working hours. Neither working nor night hours
ever make a slot non-compliant: ``availability`` is the hard limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Interpreter, Person
from readout.domain.families import Constraints, window_timeline
from readout.domain.intervals import from_micros, to_micros
from readout.domain.localtime import DAY_US, MINUTE_US, offsets
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows, parse_weekly

__all__ = [
    "DEFAULT_NIGHT_HOURS",
    "DEFAULT_WORKING_HOURS",
    "WEIGHTS",
    "Attendee",
    "Scored",
    "attendee",
    "night_hours",
    "score_slots",
    "working_hours",
]

WEIGHTS = {"earliness": 0.30, "comfort": 0.40, "buffer": 0.20, "optional": 0.10}
NIGHT_FREE_WEIGHT = 0.5  # the share of the score given to keeping everyone out of their night hours
DEFAULT_WORKING_HOURS = {"mon-fri": "09:00-17:00"}
DEFAULT_NIGHT_HOURS = {"daily": "22:00-07:00"}
HOUR_US = 3600 * 1_000_000
COMFORT_RANGE_US = 8 * HOUR_US  # comfort falls linearly to 0 over the first eight hours outside working hours
_FULL_BUFFER_US = 2 * HOUR_US
_FAR = np.int64(2**62)  # "no working hours on this side"
_REACH_DAYS = 8  # working hours are looked for up to a week and a day around the slots
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CLOCK = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(1440))  # wall minute -> "HH:MM"


@dataclass(frozen=True)
class Scored:
    """A score in [0, 1], the reasons a person can read, and whether the slot touches someone's night hours
    (such a slot is listed after every slot that does not)."""

    score: float
    why: tuple[str, ...]
    night: bool = False


@dataclass(frozen=True)
class Attendee:
    """What ranking needs of one attendee: the name shown, the zone, and the stated hours (None: default)."""

    name: str
    zone: ZoneInfo
    working_hours: WeeklyWindows | None = None
    night_hours: WeeklyWindows | None = None

    @property
    def profile(self) -> tuple[ZoneInfo, WeeklyWindows | None, WeeklyWindows | None]:
        return self.zone, self.working_hours, self.night_hours


def attendee(who: Person | Interpreter) -> Attendee:
    """The ranking view of a person or an interpreter."""
    return Attendee(who.name, who.zone, who.working_hours, who.night_hours)


@lru_cache(maxsize=256)
def working_hours(zone: ZoneInfo) -> WeeklyWindows:
    """The working hours assumed when none are stated: Monday to Friday 09:00-17:00 in ``zone``."""
    return parse_weekly(DEFAULT_WORKING_HOURS, zone)


@lru_cache(maxsize=256)
def night_hours(zone: ZoneInfo) -> WeeklyWindows:
    """The night hours assumed when none are stated: 22:00-07:00 every day in ``zone`` (less any stated
    working hours)."""
    return parse_weekly(DEFAULT_NIGHT_HOURS, zone)


class _Local:
    """Slots as seen in several time zones (one row per zone): the local weekday and start minute."""

    __slots__ = ("first", "row", "weekday")

    def __init__(self, zones: Sequence[ZoneInfo], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> None:
        self.row = {zone: i for i, zone in enumerate(zones)}
        if len(starts):
            tables = [offsets(zone, int(starts[0]), int(ends[-1])) for zone in zones]
            wall_start = np.stack([table.to_wall(starts) for table in tables])
        else:
            wall_start = np.zeros((len(zones), 0), dtype=np.int64)
        self.weekday: list[list[int]] = ((wall_start // DAY_US + 3) % 7).tolist()  # 1970-01-01: a Thursday
        self.first: list[list[int]] = ((wall_start % DAY_US) // MINUTE_US).tolist()

    def text(self, row: int, k: int) -> str:
        """``Tue 02:00``: slot ``k``'s local weekday and start in the zone of ``row``."""
        return f"{_DAY_NAMES[self.weekday[row][k]]} {_CLOCK[self.first[row][k]]}"


@dataclass(frozen=True)
class _Hours:
    """One attendee profile over the slots: comfort in [0, 1], the side of working hours the slot is on,
    whether it touches night hours, and the working hours themselves (for days off)."""

    comfort: NDArray[np.float64]
    early: list[bool]
    night: NDArray[np.bool_]
    working: WeeklyWindows


def score_slots(
    starts: NDArray[np.int64],
    interpreters: Sequence[Attendee | None],
    constraints: Constraints,
    earliest: datetime,
    deadline: datetime,
) -> list[Scored]:
    """Score compliant slots (UTC microsecond starts, ascending) and explain each score; ``interpreters``
    gives the interpreter of each slot, None when there is none. Times become seconds before they are
    divided, as ``timedelta.total_seconds`` would: the floats are those of the documented formula."""
    duration = constraints.case.readout.duration // timedelta(microseconds=1)
    ends = starts + duration
    first, due = to_micros(earliest), to_micros(deadline)
    span = due - duration - first
    seconds = (starts - first) / 1_000_000
    earliness = np.ones(len(starts)) if span <= 0 else 1.0 - seconds / (span / 1_000_000)
    comfort, night, comfort_why = _comfort(starts, ends, constraints, interpreters)
    buffer, buffer_why = _buffer(starts, ends, constraints)
    share, optional_why = _optional(starts, ends, constraints)
    # Written out in the order of the formula, so that each slot's float arithmetic is the one documented.
    base = (
        WEIGHTS["earliness"] * earliness
        + WEIGHTS["comfort"] * comfort
        + WEIGHTS["buffer"] * buffer
        + WEIGHTS["optional"] * share
    )
    total = NIGHT_FREE_WEIGHT * (~night) + (1 - NIGHT_FREE_WEIGHT) * base
    out = []
    for k, (begin, score, at_night) in enumerate(
        zip(starts.tolist(), total.tolist(), night.tolist(), strict=True)
    ):
        why = [f"ends {_fmt_gap(due - begin - duration)} before the deadline", comfort_why[k]]
        why += [text for text in (buffer_why[k], optional_why[k]) if text]
        out.append(Scored(round(score, 3), tuple(why), at_night))
    return out


def _attendees(constraints: Constraints) -> dict[str, Attendee]:
    """Role holders by name (first role wins), in role order."""
    case = constraints.case
    out: dict[str, Attendee] = {}
    for pid in case.roles.values():
        person = case.people[pid or ""]
        out.setdefault(person.name, attendee(person))
    return out


def _fmt_gap(gap_us: int) -> str:
    """``1d 2h 5m``: whole days, hours and minutes, zero parts left out (``0m`` for no gap)."""
    hours, rem = divmod(gap_us // MINUTE_US, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{rem}m"] if rem or not parts else []
    return " ".join(parts)


def _comfort(
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    constraints: Constraints,
    interpreters: Sequence[Attendee | None],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], list[str]]:
    """Per slot: half the mean and half the worst comfort of the role holders and the interpreter; whether
    any of them is in their night hours; the sentence naming everyone outside their working hours."""
    people = _attendees(constraints)
    extra = [i is not None and i.name not in people for i in interpreters]
    everyone = [*people.values(), *(i for i, e in zip(interpreters, extra, strict=True) if e and i)]
    profiles = list(dict.fromkeys(a.profile for a in everyone))
    hours = {p: _hours(p, starts, ends) for p in profiles}
    local = _Local(list(dict.fromkeys(p[0] for p in profiles)), starts, ends)

    rows = [hours[a.profile].comfort for a in people.values()]
    total, worst = rows[0], rows[0]
    night = np.zeros(len(starts), dtype=bool)
    for a in people.values():
        night |= hours[a.profile].night
    for row in rows[1:]:  # summed in attendee order, like the formula
        total, worst = total + row, np.minimum(worst, row)
    count = np.full(len(starts), len(rows), dtype=np.float64)
    if any(extra):
        mask = np.array(extra, dtype=bool)
        table = np.stack([hours[p].comfort for p in profiles])
        nights = np.stack([hours[p].night for p in profiles])
        index = {p: n for n, p in enumerate(profiles)}
        row_of = np.array(
            [index[i.profile] if i is not None and e else 0 for i, e in zip(interpreters, extra, strict=True)]
        )
        column = np.arange(len(starts))
        value = np.where(mask, table[row_of, column], 0.0)
        total = np.where(mask, total + value, total)
        worst = np.where(mask, np.minimum(worst, value), worst)
        count = np.where(mask, count + 1, count)
        night |= mask & nights[row_of, column]
    comfort = 0.5 * total / count + 0.5 * worst

    # Per slot, the attendees outside their working hours (or in their night hours), in attendee order.
    flagged = {p: np.flatnonzero((h.comfort < 1.0) | h.night).tolist() for p, h in hours.items()}
    outside: list[list[str]] = [[] for _ in range(len(starts))]
    for who in people.values():
        for k in flagged[who.profile]:
            outside[k].append(_outside_text(hours[who.profile], local, who, k))
    for k, interp in enumerate(interpreters):
        if (
            interp is not None
            and extra[k]
            and (hours[interp.profile].comfort[k] < 1.0 or hours[interp.profile].night[k])
        ):
            outside[k].append(_outside_text(hours[interp.profile], local, interp, k))
    texts = [
        "outside working hours: " + ", ".join(names) if names else "inside everyone's working hours"
        for names in outside
    ]
    return comfort, night, texts


def _outside_text(hours: _Hours, local: _Local, who: Attendee, k: int) -> str:
    """``Tue 02:00 for Liam Carter (night)``: the slot's local start for one attendee, and why it is not
    comfortable for them."""
    return f"{local.text(local.row[who.zone], k)} for {who.name} ({_label(hours, local, who, k)})"


def _label(hours: _Hours, local: _Local, who: Attendee, k: int) -> str:
    """Why a slot is uncomfortable for one attendee: night, day off, early or late."""
    if hours.night[k]:
        return "night"
    if not hours.working.by_weekday[local.weekday[local.row[who.zone]][k]]:
        return "day off"
    return "early" if hours.early[k] else "late"


def _hours(
    profile: tuple[ZoneInfo, WeeklyWindows | None, WeeklyWindows | None],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
) -> _Hours:
    """Comfort and night hours of one attendee profile (zone, stated working hours, stated night hours)."""
    zone, stated_working, stated_night = profile
    working = stated_working or working_hours(zone)
    if not len(starts):
        empty = np.zeros(0, dtype=bool)
        return _Hours(np.zeros(0), [], empty, working)
    first = from_micros(int(starts[0])).astimezone(zone).date() - timedelta(days=_REACH_DAYS)
    last = from_micros(int(ends[-1])).astimezone(zone).date() + timedelta(days=_REACH_DAYS)
    work = window_timeline(working, first, last, frozenset())
    night = window_timeline(stated_night or night_hours(zone), first, last, frozenset())
    if stated_night is None and stated_working is not None:
        night = _minus(night, work)  # a stated night shift is not "night" for its worker
    distance, early = _outside(work, starts, ends)
    comfort = np.clip(1.0 - distance / COMFORT_RANGE_US, 0.0, 1.0)
    return _Hours(comfort, early.tolist(), night.overlaps_all(starts, ends), working)


def _minus(a: Timeline, b: Timeline) -> Timeline:
    """The instants of ``a`` that are not in ``b``."""
    if not len(a) or not len(b):
        return a
    points = np.unique(np.concatenate((a.starts, a.ends, b.starts, b.ends)))
    lo, hi = points[:-1], points[1:]  # each piece lies wholly inside or outside each timeline
    keep = a.covers_all(lo, hi) & ~b.covers_all(lo, hi)
    return Timeline.of_arrays(lo[keep], hi[keep])


def _outside(
    work: Timeline, starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per slot: how far (microseconds) its farthest instant lies from working hours (0 inside them), and
    whether the nearer working hours are later (the slot is early) rather than earlier (late)."""
    if not len(work):
        return np.full(len(starts), _FAR, dtype=np.int64), np.zeros(len(starts), dtype=bool)
    both, early_both = _distance_at(work, np.concatenate((starts, ends)))  # one pass for both ends
    count = len(starts)
    at_start, at_end, early_start, early_end = (
        both[:count],
        both[count:],
        early_both[:count],
        early_both[count:],
    )
    distance = np.maximum(at_start, at_end)
    early = np.where(at_start >= at_end, early_start, early_end)
    if len(work) > 1:  # a gap between working hours whose middle lies inside the slot: its middle is farthest
        middle = (work.ends[:-1] + work.starts[1:]) // 2
        half = (work.starts[1:] - work.ends[:-1]) // 2
        lo = np.searchsorted(middle, starts, side="right")
        hi = np.searchsorted(middle, ends, side="left")
        for step in range(int((hi - lo).max(initial=0))):
            at = lo + step
            distance = np.maximum(distance, np.where(at < hi, half[np.minimum(at, len(half) - 1)], 0))
    distance = np.where(work.covers_all(starts, ends), 0, distance)
    return distance, early


def _distance_at(work: Timeline, at: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per instant: distance to working hours (0 inside or on an edge) and whether the nearest is later."""
    n = len(work)
    j = np.searchsorted(work.starts, at, side="right") - 1  # the last working interval starting by then
    has_prev = j >= 0
    prev_end = work.ends[np.maximum(j, 0)]
    inside = has_prev & (at <= prev_end)
    before = np.where(has_prev, at - prev_end, _FAR)
    after = np.where(j + 1 < n, work.starts[np.minimum(j + 1, n - 1)] - at, _FAR)
    return np.where(inside, 0, np.minimum(before, after)), ~inside & (after < before)


def _buffer(
    starts: NDArray[np.int64], ends: NDArray[np.int64], constraints: Constraints
) -> tuple[NDArray[np.float64], list[str | None]]:
    """Per slot: distance to the nearest CAB blackout or handoff window, full marks at two hours."""
    blackout = constraints.blackouts.distance_all(starts, ends)
    handoff = constraints.handoffs.distance_all(starts, ends)
    # The nearest of the two that exist (-1: none); a tie goes to the blackout.
    use_handoff = (handoff >= 0) & ((blackout < 0) | (handoff < blackout))
    gap = np.where(use_handoff, handoff, blackout)
    value = np.where(gap < 0, 1.0, np.minimum(1.0, gap / _FULL_BUFFER_US))
    texts: list[str | None] = []
    for g, h in zip(gap.tolist(), use_handoff.tolist(), strict=True):
        nearest = "handoff window" if h else "CAB blackout"
        if g < 0:
            texts.append(None)
        elif g >= _FULL_BUFFER_US:
            texts.append("2h+ clear of blackouts and handoff windows")
        elif not g:
            texts.append(f"back to back with a {nearest}")
        else:
            texts.append(f"only {_fmt_gap(g)} from a {nearest}")
    return value, texts


def _optional(
    starts: NDArray[np.int64], ends: NDArray[np.int64], constraints: Constraints
) -> tuple[NDArray[np.float64], list[str | None]]:
    """Per slot: the share of optional attendees who are free (1 when there are none)."""
    if not constraints.optional:
        return np.ones(len(starts)), [None] * len(starts)
    names = [person.name for person, _ in constraints.optional]
    able = np.stack([att.can_attend_all(starts, ends) for _, att in constraints.optional])
    share = able.sum(axis=0) / len(names)
    texts: list[str | None] = []
    for column in able.T.tolist():
        busy = [name for name, free in zip(names, column, strict=True) if not free]
        if busy:
            texts.append("optional attendees not free: " + ", ".join(busy))
        else:
            texts.append("optional attendees free: " + ", ".join(names))
    return share, texts
