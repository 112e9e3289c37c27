"""The ranking (``domain/ranking.py``, computed for all compliant slots at once) against a slot-by-slot
reference written from its documented formula with datetimes, on the planner property test's random cases.

Score and every line of the explanation must be identical: a program manager reads them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings

from readout.domain.case import Case
from readout.domain.families import Attendance, Constraints
from readout.domain.intervals import Interval, from_micros
from readout.domain.plan import Candidate
from readout.domain.timeline import Timeline

from .reference import Scenario
from .test_planner_reference import _availability as availability
from .test_planner_reference import build_case, run_planner, scenarios

_TIERS = ((1.0, 9 * 60, 17 * 60), (0.75, 8 * 60, 18 * 60), (0.4, 7 * 60, 20 * 60))


def _comfort_of(slot: Interval, zone: ZoneInfo) -> float:
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    if start.weekday() >= 5:
        return 0.0
    first = start.hour * 60 + start.minute
    last = first + int((end - start).total_seconds() // 60)  # same zone: wall-clock difference
    return next((value for value, lo, hi in _TIERS if lo <= first and last <= hi), 0.0)


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


def _distance(timeline: Timeline, slot: Interval) -> timedelta | None:
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
) -> tuple[float, tuple[str, ...]]:
    slot = Interval(c.start, c.end)
    span = (due - slot.duration - earliest).total_seconds()
    earliness = 1.0 if span <= 0 else 1.0 - (slot.start - earliest).total_seconds() / span
    why = [f"ends {_fmt(due - slot.end)} before the deadline"]

    zones: dict[str, ZoneInfo] = {}
    for pid in case.roles.values():
        zones.setdefault(case.people[pid or ""].name, case.people[pid or ""].zone)
    interp = next((i for i in case.interpreters if i.id == c.interpreter), None)
    if interp is not None:
        zones.setdefault(interp.name, interp.zone)
    values = {name: _comfort_of(slot, zone) for name, zone in zones.items()}
    comfort = 0.5 * sum(values.values()) / len(values) + 0.5 * min(values.values())
    outside = [
        f"{n} {slot.start.astimezone(zones[n]):%a %H:%M}-{slot.end.astimezone(zones[n]):%H:%M}"
        for n, v in values.items()
        if v < 1.0
    ]
    why.append(
        "outside 09:00-17:00 local for " + ", ".join(outside)
        if outside
        else "inside everyone's 09:00-17:00 local working day"
    )

    gaps = {
        name: gap
        for name, gap in (
            ("CAB blackout", _distance(constraints.blackouts, slot)),
            ("handoff window", _distance(constraints.handoffs, slot)),
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
    total = 0.30 * earliness + 0.40 * comfort + 0.20 * buffer + 0.10 * share
    return round(total, 3), tuple(why)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_ranking_matches_slot_by_slot_reference(sc: Scenario) -> None:
    got = run_planner(sc)
    if not got.candidates:
        return
    assert got.earliest_start is not None
    assert got.deadline is not None
    case = build_case(sc)
    people = {p.id: a for p in sc.people if (a := availability(p.busy)) is not None}
    interpreters = {i.id: a for i in sc.interpreters if (a := availability(i.busy)) is not None}
    span = Interval(got.earliest_start, max(got.earliest_start, got.deadline))
    constraints = Constraints(case, span, people, interpreters)
    for c in got.candidates:
        assert (c.score, c.why) == reference_score(c, case, constraints, got.earliest_start, got.deadline)
    assert [c.score for c in got.candidates] == sorted((c.score for c in got.candidates), reverse=True)
