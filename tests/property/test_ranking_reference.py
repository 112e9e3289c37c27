"""The ranking (``domain/ranking.py``, computed for all compliant slots at once) against a slot-by-slot
reference written from its documented formula with datetimes, on the planner property test's random cases,
with working and night hours stated now and then.

Score and every line of the explanation must be identical: a program manager reads them.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readout.domain.case import Case, Interpreter, Person
from readout.domain.families import Attendance, Constraints
from readout.domain.intervals import Interval, from_micros, merge
from readout.domain.localtime import local_instant
from readout.domain.plan import Candidate, Plan
from readout.domain.planner import plan
from readout.domain.timeline import Timeline
from readout.domain.weekly import WeeklyWindows, parse_weekly

from .reference import Scenario
from .test_planner_reference import _availability as availability
from .test_planner_reference import _weekly, build_case, scenarios, sometimes, weekly_specs

_DEFAULT_WORKING = {"mon-fri": "09:00-17:00"}
_DEFAULT_NIGHT = {"daily": "22:00-07:00"}
_REACH = timedelta(days=8)
_COMFORT_RANGE = timedelta(hours=8)


@dataclasses.dataclass(frozen=True)
class _Who:
    name: str
    zone: ZoneInfo
    working: WeeklyWindows | None
    night: WeeklyWindows | None


def _windows(weekly: WeeklyWindows, around: Interval) -> list[Interval]:
    """Every window of ``weekly`` starting on a local date within eight days of ``around``, merged."""
    zone = weekly.zone
    first = (around.start.astimezone(zone) - _REACH).date()
    return _expanded(weekly, first, (around.end.astimezone(zone) + _REACH).date())


@lru_cache(maxsize=4096)
def _expanded(weekly: WeeklyWindows, first: date, last: date) -> list[Interval]:
    out, day = [], first
    while day <= last:
        for w in weekly.by_weekday[day.weekday()]:
            start, end = local_instant(day, w.start, weekly.zone), local_instant(day, w.end, weekly.zone)
            if start < end:  # a DST change can leave a window empty or negative: it is dropped
                out.append(Interval(start, end))
        day += timedelta(days=1)
    return merge(out)


def _distance(t: datetime, work: list[Interval]) -> tuple[timedelta, bool]:
    """Distance from ``t`` to working hours (0 on them, edges included), and whether the nearest is later."""
    if any(iv.start <= t <= iv.end for iv in work):
        return timedelta(0), False
    before = min((t - iv.end for iv in work if iv.end < t), default=None)
    after = min((iv.start - t for iv in work if iv.start > t), default=None)
    if before is None or after is None:
        nearest = before if after is None else after
        assert nearest is not None
        return nearest, after is not None
    return min(before, after), after < before


def _outside(slot: Interval, work: list[Interval]) -> tuple[timedelta, bool]:
    """How far the slot's farthest instant is from working hours: the largest distance on a piecewise linear
    function is at an end of the slot or at the middle of a gap between working hours inside it."""
    if any(iv.contains(slot) for iv in work):
        return timedelta(0), False
    (d_start, early_start), (d_end, early_end) = _distance(slot.start, work), _distance(slot.end, work)
    far = max(d_start, d_end)
    for a, b in pairwise(work):
        middle = a.end + (b.start - a.end) // 2
        if slot.start < middle < slot.end:
            far = max(far, (b.start - a.end) // 2)
    return far, early_start if d_start >= d_end else early_end


def _subtract(piece: Interval, cut: Interval) -> list[Interval]:
    out = []
    if cut.start > piece.start:
        out.append(Interval(piece.start, min(piece.end, cut.start)))
    if cut.end < piece.end:
        out.append(Interval(max(piece.start, cut.end), piece.end))
    return [p for p in out if not p.empty]


def _at_night(slot: Interval, who: _Who) -> bool:
    """Some instant of the slot is in night hours (default 22:00-07:00 less stated working hours)."""
    night = _windows(who.night or parse_weekly(_DEFAULT_NIGHT, who.zone), slot)
    work = _windows(who.working, slot) if who.working is not None and who.night is None else []
    for iv in night:
        if not iv.overlaps(slot):
            continue
        pieces = [Interval(max(iv.start, slot.start), min(iv.end, slot.end))]
        for w in work:
            pieces = [part for p in pieces for part in _subtract(p, w)]
        if pieces:
            return True
    return False


def _comfort_of(slot: Interval, who: _Who) -> tuple[float, bool, str]:
    working = who.working or parse_weekly(_DEFAULT_WORKING, who.zone)
    far, early = _outside(slot, _windows(working, slot))
    value = max(0.0, min(1.0, 1.0 - far / _COMFORT_RANGE))
    night = _at_night(slot, who)
    local = slot.start.astimezone(who.zone)
    if night:
        label = "night"
    elif not working.by_weekday[local.weekday()]:
        label = "day off"
    else:
        label = "early" if early else "late"
    return value, night, f"{local:%a %H:%M} for {who.name} ({label})"


def _fmt(gap: timedelta) -> str:
    hours, rem = divmod(int(gap.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = ([f"{days}d"] if days else []) + ([f"{hours}h"] if hours else [])
    return " ".join(parts + ([f"{rem}m"] if rem or not parts else []))


def _intervals(timeline: Timeline) -> list[Interval]:
    return [
        Interval(from_micros(a), from_micros(b))
        for a, b in zip(timeline.starts.tolist(), timeline.ends.tolist(), strict=True)
    ]


def _gap(timeline: Timeline, slot: Interval) -> timedelta | None:
    gaps = [slot.start - iv.end for iv in _intervals(timeline) if iv.end <= slot.start]
    gaps += [iv.start - slot.end for iv in _intervals(timeline) if iv.start >= slot.end]
    return min(gaps) if gaps else None


def _free(att: Attendance, slot: Interval) -> bool:
    if att.unknown:
        return False
    if att.windows is not None and not any(w.contains(slot) for w in _intervals(att.windows)):
        return False
    return not any(iv.overlaps(slot) for iv in _intervals(att.busy))


def reference_score(
    c: Candidate, case: Case, constraints: Constraints, earliest: datetime, due: datetime
) -> tuple[float, tuple[str, ...], bool]:
    slot = Interval(c.start, c.end)
    span = (due - slot.duration - earliest).total_seconds()
    earliness = 1.0 if span <= 0 else 1.0 - (slot.start - earliest).total_seconds() / span
    why = [f"ends {_fmt(due - slot.end)} before the deadline"]

    group: dict[str, _Who] = {}
    for pid in case.roles.values():
        p = case.people[pid or ""]
        group.setdefault(p.name, _Who(p.name, p.zone, p.working_hours, p.night_hours))
    interp = next((i for i in case.interpreters if i.id == c.interpreter), None)
    if interp is not None:
        group.setdefault(
            interp.name, _Who(interp.name, interp.zone, interp.working_hours, interp.night_hours)
        )
    seen = {name: _comfort_of(slot, who) for name, who in group.items()}
    values = [v for v, _, _ in seen.values()]
    comfort = 0.5 * sum(values) / len(values) + 0.5 * min(values)
    night = any(n for _, n, _ in seen.values())
    outside = [text for v, n, text in seen.values() if v < 1.0 or n]
    why.append(
        "outside working hours: " + ", ".join(outside) if outside else "inside everyone's working hours"
    )

    gaps = {
        name: gap
        for name, gap in (
            ("CAB blackout", _gap(constraints.blackouts, slot)),
            ("handoff window", _gap(constraints.handoffs, slot)),
        )
        if gap is not None
    }
    buffer = 1.0
    if gaps:
        nearest = min(gaps, key=lambda n: gaps[n])
        gap = gaps[nearest]
        buffer = min(1.0, gap / timedelta(hours=2))
        if gap >= timedelta(hours=2):
            why.append("2h+ clear of blackouts and handoff windows")
        elif not gap:
            why.append(f"back to back with a {nearest}")
        else:
            why.append(f"only {_fmt(gap)} from a {nearest}")

    share = 1.0
    if constraints.optional:
        free = [p.name for p, att in constraints.optional if _free(att, slot)]
        busy = [p.name for p, att in constraints.optional if not _free(att, slot)]
        share = len(free) / len(constraints.optional)
        why.append(
            "optional attendees not free: " + ", ".join(busy)
            if busy
            else "optional attendees free: " + ", ".join(free)
        )
    if interp is not None:
        why.append(f"interpreter: {interp.name}")
    base = 0.30 * earliness + 0.40 * comfort + 0.20 * buffer + 0.10 * share
    return round(0.5 * (0.0 if night else 1.0) + 0.5 * base, 3), tuple(why), night


_Hours = tuple[WeeklyWindows | None, WeeklyWindows | None]


@st.composite
def ranked_cases(draw: st.DrawFn) -> tuple[Scenario, Case]:
    """A planner scenario whose people and interpreters sometimes state working and night hours."""
    sc = draw(scenarios())
    case = build_case(sc)

    def hours(zone: ZoneInfo) -> _Hours:
        spec = weekly_specs(st.just(zone.key))
        working, night = draw(sometimes(spec, 3)), draw(sometimes(spec, 4))
        return (_weekly(working) if working else None), (_weekly(night) if night else None)

    def person(p: Person) -> Person:
        working, night = hours(p.zone)
        return dataclasses.replace(p, working_hours=working, night_hours=night)

    def interpreter(i: Interpreter) -> Interpreter:
        working, night = hours(i.zone)
        return dataclasses.replace(i, working_hours=working, night_hours=night)

    holders = set(case.roles.values())  # only role holders' hours are ranked: draw for them alone
    people = {pid: person(p) if pid in holders else p for pid, p in case.people.items()}
    return sc, dataclasses.replace(
        case, people=people, interpreters=tuple(interpreter(i) for i in case.interpreters)
    )


def _plan(sc: Scenario, case: Case) -> Plan:
    people = {p.id: a for p in sc.people if (a := availability(p.busy)) is not None}
    interpreters = {i.id: a for i in sc.interpreters if (a := availability(i.busy)) is not None}
    return plan(case, sc.now, people, interpreters)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranked_cases())
def test_ranking_matches_slot_by_slot_reference(drawn: tuple[Scenario, Case]) -> None:
    sc, case = drawn
    got = _plan(sc, case)
    if not got.candidates:
        return
    assert got.earliest_start is not None
    assert got.deadline is not None
    people = {p.id: a for p in sc.people if (a := availability(p.busy)) is not None}
    interpreters = {i.id: a for i in sc.interpreters if (a := availability(i.busy)) is not None}
    span = Interval(got.earliest_start, max(got.earliest_start, got.deadline))
    constraints = Constraints(case, span, people, interpreters)
    nights = []
    for c in got.candidates:
        score, why, night = reference_score(c, case, constraints, got.earliest_start, got.deadline)
        assert (c.score, c.why) == (score, why)
        nights.append(night)
    # Night-free slots first, each group best first; the score agrees with the order.
    assert nights == sorted(nights)
    assert [c.score for c in got.candidates] == sorted((c.score for c in got.candidates), reverse=True)
    # Stated hours rank, they never constrain: the compliant set is the one without them.
    plain = build_case(sc)
    assert {c.start for c in _plan(sc, plain).candidates} == {c.start for c in got.candidates}
