"""The planner: every compliant slot before the deadline, ranked, and why the rest are blocked.

Pure: the case, busy time and ``now`` are passed in; nothing here reads a clock, a file or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from readout.domain.case import Availability, BusyStatus, Case, Interpreter
from readout.domain.deadline import deadline as contract_deadline
from readout.domain.deadline import earliest_start
from readout.domain.families import Constraints
from readout.domain.families import clear_cache as families_cache_clear
from readout.domain.grid import candidate_start_micros
from readout.domain.intervals import Interval, from_micros
from readout.domain.localtime import clear_cache as localtime_cache_clear
from readout.domain.names import ROLES, WAIVABLE, family_order
from readout.domain.plan import Candidate, NearMiss, Plan, PlanStatus, Unreadable, Unverified
from readout.domain.ranking import attendee, score_slots
from readout.domain.weekly import clear_cache as weekly_cache_clear

__all__ = ["clear_caches", "compliant_starts", "not_ready_reasons", "plan"]


def clear_caches() -> None:
    """Forget the expansions cached by value (weekly windows, zone offsets), as in a fresh process."""
    localtime_cache_clear()
    weekly_cache_clear()
    families_cache_clear()


def compliant_starts(
    case: Case,
    now: datetime,
    people_busy: Mapping[str, Availability],
    interpreter_busy: Mapping[str, Availability] | None = None,
) -> NDArray[np.int64]:
    """Only the compliant starts (UTC microseconds, sorted) of a ready case: the families checked over the
    grid, without near misses, causes or ranking; ``plan`` lists exactly these as its candidates. (The
    benchmark compares this part with other ways of finding the compliant set.)"""
    if not_ready_reasons(case) or case.approved_at is None:
        return np.zeros(0, dtype=np.int64)
    earliest, due = _bounds(case, case.approved_at, now)
    starts, constraints = _prepare(case, earliest, due, people_busy, interpreter_busy or {})
    ends = starts + case.readout.duration // timedelta(microseconds=1)
    ok = np.ones(len(starts), dtype=bool)
    for broken in constraints.broken_all(starts, ends).values():
        ok &= ~broken
    return starts[ok]


def _bounds(case: Case, approved_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The earliest allowed start and the contractual deadline."""
    due = contract_deadline(
        approved_at, case.readout.due_business_days, case.business_zone, case.business_holidays
    )
    return earliest_start(now, approved_at, case.readout.min_notice), due


def _prepare(
    case: Case,
    earliest: datetime,
    due: datetime,
    people_busy: Mapping[str, Availability],
    interpreter_busy: Mapping[str, Availability],
) -> tuple[NDArray[np.int64], Constraints]:
    """The candidate starts and every family prepared over the planning span."""
    starts = candidate_start_micros(earliest, due, case.readout.duration, case.grid_zone, case.granularity)
    span = Interval(earliest, max(earliest, due))
    return starts, Constraints(case, span, people_busy, interpreter_busy)


def not_ready_reasons(case: Case) -> list[str]:
    """Why no slot search can run yet: RCA not approved, roles unassigned or naming unknown people."""
    reasons = [] if case.approved_at is not None else ["RCA_NOT_APPROVED"]
    reasons += [f"ROLE_UNASSIGNED:{r}" for r in ROLES if case.roles.get(r) not in case.people]
    return reasons


def plan(
    case: Case,
    now: datetime,
    people_busy: Mapping[str, Availability],
    interpreter_busy: Mapping[str, Availability] | None = None,
) -> Plan:
    """Plan one escalation: status, deadline, ranked candidates, near misses, violations and causes."""
    interpreter_busy = interpreter_busy or {}
    reasons = not_ready_reasons(case)
    if case.approved_at is None:
        return Plan(case.escalation_id, PlanStatus.NOT_READY, tuple(reasons))
    earliest, due = _bounds(case, case.approved_at, now)
    if reasons:
        return Plan(case.escalation_id, PlanStatus.NOT_READY, tuple(reasons), earliest, due)

    starts, constraints = _prepare(case, earliest, due, people_busy, interpreter_busy)
    found = _evaluate(constraints, starts)
    candidates = _rank(starts, found.compliant, constraints, earliest, due)
    status = PlanStatus.READY if candidates else PlanStatus.NEEDS_EXCEPTION
    causes = () if candidates else found.causes
    return Plan(
        escalation_id=case.escalation_id,
        status=status,
        earliest_start=earliest,
        deadline=due,
        candidates=candidates,
        near_misses=found.near_misses,
        violations=found.violations,
        causes=causes,
        slots_considered=len(starts),
        unverified=_unverified(case),
        unknown=_unknown(case, people_busy, interpreter_busy),
    )


@dataclass(frozen=True)
class _Evaluation:
    """Every candidate start checked against every family at once."""

    compliant: list[tuple[int, Interpreter | None]]  # positions in the starts list, with their interpreter
    near_misses: tuple[NearMiss, ...]
    violations: dict[str, int]
    causes: tuple[str, ...]


def _evaluate(constraints: Constraints, begin: NDArray[np.int64]) -> _Evaluation:
    """Family masks over all starts (vectorised); the same answers as checking slot by slot."""
    duration = constraints.case.readout.duration
    end = begin + duration // timedelta(microseconds=1)
    chosen = constraints.interpreter_index_all(begin, end) if constraints.case.readout.language else None
    masks = constraints.broken_all(begin, end, chosen)
    families = sorted(masks, key=family_order)
    broken = (
        np.stack([masks[f] for f in families]) if len(begin) else np.zeros((len(families), 0), dtype=bool)
    )
    count = broken.sum(axis=0)
    waivable = np.array([f in WAIVABLE for f in families], dtype=bool)
    near = (count > 0) & ~broken[~waivable].any(axis=0)
    lone = count == 1
    near_misses = tuple(
        NearMiss(
            from_micros(begin_k),
            from_micros(begin_k) + duration,
            tuple(f for f, b in zip(families, column, strict=True) if b),
            _interpreter_at(constraints, chosen, k),
        )
        for k, begin_k, column in zip(
            np.flatnonzero(near).tolist(), begin[near].tolist(), broken[:, near].T.tolist(), strict=True
        )
    )
    return _Evaluation(
        compliant=[
            (int(k), _interpreter_of(constraints, chosen, int(k))) for k in np.flatnonzero(count == 0)
        ],
        near_misses=near_misses,
        violations={f: int(n) for f, n in zip(families, broken.sum(axis=1), strict=True) if n},
        causes=tuple(
            f for f, alone in zip(families, (broken & lone).any(axis=1).tolist(), strict=True) if alone
        ),
    )


def _interpreter_of(constraints: Constraints, chosen: NDArray[np.int64] | None, k: int) -> Interpreter | None:
    """The first qualifying roster interpreter who can attend slot ``k`` (None without a language)."""
    if chosen is None or chosen[k] < 0:
        return None
    return constraints.interpreters[int(chosen[k])][0]


def _interpreter_at(constraints: Constraints, chosen: NDArray[np.int64] | None, k: int) -> str | None:
    interp = _interpreter_of(constraints, chosen, k)
    return interp.id if interp else None


def _rank(
    starts: NDArray[np.int64],
    compliant: list[tuple[int, Interpreter | None]],
    constraints: Constraints,
    earliest: datetime,
    due: datetime,
) -> tuple[Candidate, ...]:
    if not compliant:
        return ()  # nothing to rank: the optional attendees' attendance is never built
    chosen = starts[np.array([k for k, _ in compliant], dtype=np.int64)]
    interpreters = [interp for _, interp in compliant]
    views = {id(i): attendee(i) for i in interpreters if i is not None}
    seen = [views[id(i)] if i is not None else None for i in interpreters]
    duration = constraints.case.readout.duration
    ranked: list[tuple[bool, Candidate]] = []
    for begin, interp, scored in zip(
        chosen.tolist(), interpreters, score_slots(chosen, seen, constraints, earliest, due), strict=True
    ):
        start = from_micros(begin)
        why = scored.why + ((f"interpreter: {interp.name}",) if interp else ())
        candidate = Candidate(start, start + duration, interp.id if interp else None, scored.score, why)
        ranked.append((scored.night, candidate))
    # Night-free slots first whatever their score (the score agrees except at a rounded 0.5), then best first.
    ranked.sort(key=lambda pair: (pair[0], -pair[1].score, pair[1].start))
    return tuple(candidate for _, candidate in ranked)


def _attendees(case: Case) -> list[tuple[str, str, bool]]:
    """(id, role, has_calendar) for role holders, optional attendees and qualifying interpreters."""
    out = [(case.roles[r] or "", r, case.people[case.roles[r] or ""].has_calendar) for r in ROLES]
    out += [(p, "optional", case.people[p].has_calendar) for p in case.optional_attendees if p in case.people]
    if case.readout.language:
        out += [
            (i.id, "interpreter", i.has_calendar)
            for i in case.interpreters
            if i.qualifies(case.readout.language, case.customer_id)
        ]
    return out


def _unverified(case: Case) -> tuple[Unverified, ...]:
    return tuple(Unverified(pid, role) for pid, role, has_cal in _attendees(case) if not has_cal)


def _unknown(
    case: Case, people_busy: Mapping[str, Availability], interpreter_busy: Mapping[str, Availability]
) -> tuple[Unreadable, ...]:
    out = [
        Unreadable(p, "optional", "not listed in people")
        for p in case.optional_attendees
        if p not in case.people
    ]
    for pid, role, has_cal in _attendees(case):
        busy = (interpreter_busy if role == "interpreter" else people_busy).get(pid)
        if busy is not None and busy.status is BusyStatus.UNKNOWN:
            out.append(Unreadable(pid, role, busy.error or "unreadable"))
        elif busy is None and has_cal:
            out.append(Unreadable(pid, role, "calendar not read"))
    return tuple(out)
