"""The planner's peers: other ways to find the compliant starts of a case, and the floor.

Every peer starts from the planner's own inputs (``Case``, ``now``, busy maps), prepares them the same way
(``prepare``: deadline, earliest start, the production weekly-window expansion and the busy arrays each
``Availability`` holds, turned into integer seconds; its cost is part of every peer's time) and then applies
its own slot test to the same families as the planner (spec section 5): coverage, customer hours, CAB
blackouts, handoff windows, each role holder's calendar and availability, and "some qualifying interpreter
can attend".

- ``naive``: every grid slot checked against every interval, until one conflicts.
- ``range_subtraction``: intersect the windows, subtract the merged busy time, then step the grid through
  each free range (the approach of Cal.com's ``date-ranges.ts`` + ``slots.ts`` and most open-source
  schedulers); for "any interpreter", one pass per interpreter and the union of the slots.
- ``cp_sat``: an OR-Tools CP-SAT model, one Boolean per candidate start (and per interpreter and start),
  every busy interval and every gap between windows a hard constraint forbidding the starts it hits,
  maximising the number of starts kept. One worker, a time limit.
- ``floor``: not a planner. All interval endpoints concatenated as int64 arrays, argsorted, and merged in one
  pass: the union of the blocked time. Any planner must at least read and order its input, so this bounds
  the planner from below.

Peers return start instants as integer seconds since the epoch, sorted.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from benchmarks.generate import Inputs
from readout.domain.case import Availability, BusyStatus
from readout.domain.deadline import deadline, earliest_start
from readout.domain.families import window_timeline
from readout.domain.weekly import WeeklyWindows

__all__ = [
    "PEERS",
    "Prepared",
    "cp_sat",
    "floor",
    "grid_starts",
    "naive",
    "planner_core",
    "prepare",
    "range_subtraction",
]

Pair = tuple[int, int]
DAY = 86_400


@dataclass(frozen=True)
class Prepared:
    """A case's families in integer seconds. Windows as the planner has them (merged); intervals as given."""

    earliest: int
    latest: int  # the last allowed start: deadline - duration
    duration: int
    step: int  # grid granularity in seconds
    zone: ZoneInfo  # the grid's zone
    inside: list[list[Pair]]  # the slot must lie inside one (merged) window of each
    outside: list[list[Pair]]  # the slot must overlap no interval of any
    closed: bool  # a role holder whose calendar failed: no slot complies
    interpreters: list[tuple[list[Pair] | None, list[Pair]]] | None  # (windows, busy) each; None: no language

    def families(self) -> Iterable[list[Pair]]:
        """Every interval list, for the floor."""
        yield from self.inside
        yield from self.outside
        for windows, busy in self.interpreters or ():
            if windows is not None:
                yield windows
            yield busy


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())  # calendars and cases carry whole seconds


def _pairs(intervals: Iterable[object]) -> list[Pair]:
    return [(int(iv.start.timestamp()), int(iv.end.timestamp())) for iv in intervals]  # type: ignore[attr-defined]


def _array_pairs(starts: NDArray[np.int64], ends: NDArray[np.int64]) -> list[Pair]:
    """Microsecond arrays as (start, end) pairs of whole seconds."""
    return list(zip((starts // 1_000_000).tolist(), (ends // 1_000_000).tolist(), strict=True))


def _busy(busy: Availability) -> list[Pair]:
    """Busy time as the planner gets it: the merged arrays ``Availability`` builds when a calendar is read."""
    return _array_pairs(busy.timeline.starts, busy.timeline.ends)


def _expand(
    weekly: WeeklyWindows, first: datetime, last: datetime, skip: frozenset[date] = frozenset()
) -> list[Pair]:
    """The production expansion over the local dates touching ``[first, last]``, a day more each side."""
    lo = first.astimezone(weekly.zone).date() - timedelta(days=1)
    hi = last.astimezone(weekly.zone).date() + timedelta(days=1)
    windows = window_timeline(weekly, lo, hi, skip)  # the planner's own, cached by value
    return _array_pairs(windows.starts, windows.ends)


def prepare(inputs: Inputs) -> Prepared:
    """The families of a ready case (RCA approved, every role assigned) as integer seconds."""
    case, now = inputs.case, inputs.now
    assert case.approved_at is not None
    due = deadline(
        case.approved_at, case.readout.due_business_days, case.business_zone, case.business_holidays
    )
    earliest = earliest_start(now, case.approved_at, case.readout.min_notice)
    inside: list[list[Pair]] = []
    outside: list[list[Pair]] = []
    if case.coverage is not None:
        inside.append(_expand(case.coverage.hours, earliest, due, case.coverage.holidays.dates))
    if case.meeting_hours is not None:
        inside.append(_expand(case.meeting_hours.hours, earliest, due, case.meeting_hours.holidays.dates))
    blackouts = _pairs(case.blackouts.absolute)
    for weekly in case.blackouts.weekly:
        blackouts += _expand(weekly, earliest, due)
    outside.append(blackouts)
    holders = {case.roles[role] or "" for role in case.roles}
    outside.append(
        [pair for pid in holders for w in case.people[pid].protected for pair in _expand(w, earliest, due)]
    )
    closed = False
    for role in case.roles:
        person = case.people[case.roles[role] or ""]
        busy = _availability(inputs.people.get(person.id), person.has_calendar)
        closed |= busy.status is BusyStatus.UNKNOWN
        if person.availability is not None:
            inside.append(_expand(person.availability, earliest, due))
        outside.append(_busy(busy))
    interpreters: list[tuple[list[Pair] | None, list[Pair]]] | None = None
    language = case.readout.language
    if language:
        interpreters = []
        for interp in case.interpreters:
            busy = _availability(inputs.interpreters.get(interp.id), interp.has_calendar)
            if interp.qualifies(language, case.customer_id) and busy.status is not BusyStatus.UNKNOWN:
                windows = _expand(interp.availability, earliest, due) if interp.availability else None
                interpreters.append((windows, _busy(busy)))
    duration = int(case.readout.duration.total_seconds())
    return Prepared(
        earliest=_seconds(earliest),
        latest=_seconds(due) - duration,
        duration=duration,
        step=case.granularity * 60,
        zone=case.grid_zone,
        inside=inside,
        outside=outside,
        closed=closed,
        interpreters=interpreters,
    )


def _availability(busy: Availability | None, has_calendar: bool) -> Availability:
    if busy is not None:
        return busy
    return Availability.unknown("calendar not read") if has_calendar else Availability.unverified()


# --- the grid (spec section 3), shared by the peers ---------------------------------------------------------


def _offset(zone: ZoneInfo, at: int) -> int:
    offset = datetime.fromtimestamp(at, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _pieces(zone: ZoneInfo, first: int, last: int) -> list[tuple[int, int, int]]:
    """``[first, last]`` cut where the zone's UTC offset changes: (start, end exclusive, offset) pieces."""
    pieces: list[tuple[int, int, int]] = []
    start, offset = first, _offset(zone, first)
    probe = first
    while probe < last:
        nxt = min(probe + DAY, last)
        if _offset(zone, nxt) != offset:
            lo, hi = probe, nxt  # offset(lo) == offset != offset(hi): find the first second of the change
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _offset(zone, mid) == offset else (lo, mid)
            pieces.append((start, hi, offset))
            start, offset = hi, _offset(zone, hi)
        probe = nxt
    pieces.append((start, last + 1, offset))
    return pieces


def grid_starts(p: Prepared) -> list[int]:
    """Every start in ``[earliest, latest]`` whose wall time in the grid zone is a multiple of the step after
    local midnight: inside a piece of constant offset, the starts ``t`` with ``(t + offset) % step == 0``."""
    if p.latest < p.earliest:
        return []
    out: list[int] = []
    for lo, hi, offset in _pieces(p.zone, p.earliest, p.latest):
        out.extend(range(lo + (-(lo + offset)) % p.step, hi, p.step))
    return out


# --- interval helpers on integer pairs ----------------------------------------------------------------------


def merge(pairs: Iterable[Pair]) -> list[Pair]:
    """Sorted, with overlapping and touching pairs joined and empty ones dropped."""
    out: list[Pair] = []
    for a, b in sorted(p for p in pairs if p[0] < p[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(x: Sequence[Pair], y: Sequence[Pair]) -> list[Pair]:
    """Intersection of two merged lists."""
    out: list[Pair] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(x: Sequence[Pair], y: Sequence[Pair]) -> list[Pair]:
    """The parts of merged list ``x`` not covered by merged list ``y``."""
    out: list[Pair] = []
    j = 0
    for a, b in x:
        while j < len(y) and y[j][1] <= a:
            j += 1
        k, start = j, a
        while k < len(y) and y[k][0] < b:
            if y[k][0] > start:
                out.append((start, y[k][0]))
            start = max(start, y[k][1])
            k += 1
        if start < b:
            out.append((start, b))
    return out


# --- (a) naive grid scan ------------------------------------------------------------------------------------


def naive(inputs: Inputs) -> list[int]:
    """Each grid slot against each window and each interval, stopping at the first conflict."""
    p = prepare(inputs)
    if p.closed:
        return []
    d = p.duration
    inside = [merge(fam) for fam in p.inside]  # "inside one window": adjacent windows join first
    outside = [pair for fam in p.outside for pair in fam if pair[0] < pair[1]]
    interpreters = None
    if p.interpreters is not None:
        interpreters = [
            (None if w is None else merge(w), [x for x in b if x[0] < x[1]]) for w, b in p.interpreters
        ]
    out: list[int] = []
    for s in grid_starts(p):
        e = s + d
        if not all(any(a <= s and e <= b for a, b in fam) for fam in inside):
            continue
        if any(a < e and s < b for a, b in outside):
            continue
        if interpreters is not None and not any(
            (w is None or any(a <= s and e <= b for a, b in w)) and not any(a < e and s < b for a, b in busy)
            for w, busy in interpreters
        ):
            continue
        out.append(s)
    return out


# --- (b) range subtraction, then a stepped grid -------------------------------------------------------------


def _stepped(free: Sequence[Pair], grid: Sequence[int], d: int) -> list[int]:
    """Grid starts stepped through each free range while the slot still fits."""
    out: list[int] = []
    for a, b in free:
        k = bisect_left(grid, a)
        while k < len(grid) and grid[k] + d <= b:
            out.append(grid[k])
            k += 1
    return out


def range_subtraction(inputs: Inputs) -> list[int]:
    """Free ranges = windows intersected minus busy merged; slots stepped through them."""
    p = prepare(inputs)
    if p.closed:
        return []
    free = [(p.earliest, p.latest + p.duration)]
    for fam in p.inside:
        free = intersect(free, merge(fam))
    free = subtract(free, merge(pair for fam in p.outside for pair in fam))
    grid = grid_starts(p)
    if p.interpreters is None:
        return _stepped(free, grid, p.duration)
    found: set[int] = set()
    for windows, busy in p.interpreters:
        mine = free if windows is None else intersect(free, merge(windows))
        found.update(_stepped(subtract(mine, merge(busy)), grid, p.duration))
    return sorted(found)


# --- (c) CP-SAT ---------------------------------------------------------------------------------------------


def cp_sat(inputs: Inputs, time_limit: float = 120.0) -> list[int]:
    """One Boolean per start; each busy interval and each gap between windows forbids the starts it hits."""
    from ortools.sat.python import cp_model

    p = prepare(inputs)
    grid = grid_starts(p)
    d, n = p.duration, len(grid)
    model = cp_model.CpModel()
    keep = [model.new_bool_var(f"x{k}") for k in range(n)]

    def forbid(variables: Sequence[cp_model.IntVar], lo: int, hi: int) -> None:
        if lo < hi:
            model.add_bool_and([v.Not() for v in variables[lo:hi]])

    def busy(variables: Sequence[cp_model.IntVar], pairs: Iterable[Pair]) -> None:
        for a, b in pairs:  # a slot [s, s + d) overlaps [a, b) when a - d < s < b
            if a < b:
                forbid(variables, bisect_right(grid, a - d), bisect_left(grid, b))

    def within(variables: Sequence[cp_model.IntVar], windows: Iterable[Pair]) -> None:
        allowed = 0  # starts before this index are decided
        for a, b in merge(windows):
            lo, hi = bisect_left(grid, a), bisect_right(grid, b - d)
            forbid(variables, allowed, lo)
            allowed = max(allowed, hi)
        forbid(variables, allowed, n)

    if p.closed:
        forbid(keep, 0, n)
    for fam in p.inside:
        within(keep, fam)
    for fam in p.outside:
        busy(keep, fam)
    if p.interpreters is not None:
        able = []
        for i, (windows, pairs) in enumerate(p.interpreters):
            can = [model.new_bool_var(f"y{i}_{k}") for k in range(n)]
            if windows is not None:
                within(can, windows)
            busy(can, pairs)
            able.append(can)
        for k in range(n):
            model.add_bool_or([keep[k].Not(), *(can[k] for can in able)])
    model.maximize(sum(keep))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        raise RuntimeError(f"CP-SAT stopped without proof of optimality: {solver.status_name(status)}")
    return [grid[k] for k in range(n) if solver.boolean_value(keep[k])]


# --- (d) the floor ------------------------------------------------------------------------------------------


def union_blocked(p: Prepared) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The numpy part of the floor: concatenate, argsort by start, one merge pass."""
    arrays = [np.asarray(fam, dtype=np.int64).reshape(-1, 2) for fam in p.families()]
    both = np.concatenate(arrays) if arrays else np.zeros((0, 2), dtype=np.int64)
    if not len(both):
        return both[:, 0], both[:, 1]
    order = np.argsort(both[:, 0])
    starts, ends = both[order, 0], both[order, 1]
    reach = np.maximum.accumulate(ends)
    new = np.empty(len(starts), dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(new)
    tails = np.append(heads[1:] - 1, len(starts) - 1)
    return starts[heads], reach[tails]


def floor(inputs: Inputs) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Prepare the inputs (as every peer does) and compute the union of all their intervals."""
    return union_blocked(prepare(inputs))


def planner_starts(inputs: Inputs) -> list[int]:
    """The planner's compliant starts (every candidate, ranked or not) as integer seconds, sorted."""
    from readout.domain.planner import plan

    result = plan(inputs.case, inputs.now, inputs.people, inputs.interpreters)
    return sorted(_seconds(c.start) for c in result.candidates)


def planner_core(inputs: Inputs) -> list[int]:
    """The planner's own compliant set alone (``readout.domain.planner.compliant_starts``: grid and family
    masks, no near misses, causes or ranking), as integer seconds: the same work the peers do."""
    from readout.domain.planner import compliant_starts

    found = compliant_starts(inputs.case, inputs.now, inputs.people, inputs.interpreters)
    return (found // 1_000_000).tolist()


PEERS: dict[str, Callable[[Inputs], list[int]]] = {
    "naive": naive,
    "range_subtraction": range_subtraction,
    "cp_sat": cp_sat,
}


def as_instants(starts: Iterable[int]) -> list[datetime]:
    """Integer seconds back to UTC instants (for messages)."""
    return [datetime.fromtimestamp(s, UTC) for s in starts]
