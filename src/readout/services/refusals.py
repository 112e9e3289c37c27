"""Refused decisions leave a trace: who tried what on which escalation, and why it was refused.

A refused command changes nothing: its unit of work rolls back. The attempt itself (a confirmation by someone
without the role, a stale or too-short packet digest, an approval of one's own request) is then recorded in
the escalation's audit trail in a transaction of its own, as an entry ``refused`` with the actor, the command
and the reason. Nothing else changes. An attempt by an unknown user id or on an unknown escalation has no
trail to go to and is not recorded; neither is a lost race (``Conflict``: try again), which is no decision.

A confirmation refused by its fresh free/busy check is explained in terms of its inputs (``slot_obstacles``):
who became busy, by name and role and in their own local time, or which interpreter or blackout now blocks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from readout.domain.case import Availability, Case
from readout.domain.eligibility import eligible_slots
from readout.domain.exception_requests import Waiver
from readout.domain.families import Constraints
from readout.domain.intervals import Interval, to_micros, utc_text
from readout.domain.lifecycle import IllegalTransition
from readout.domain.names import CAB_BLACKOUT, INTERPRETER, ROLES, attendee_family
from readout.domain.plan import PlanStatus
from readout.domain.users import SYSTEM
from readout.errors import Conflict, PermissionDenied, ReadoutError, Refused
from readout.presentation import times
from readout.services.context import Deps
from readout.services.gathering import gather
from readout.services.planning import PlannedCase

__all__ = ["REFUSED", "local_slot", "record_refusal", "recorded_refusals", "slot_obstacles"]

REFUSED = "refused"  # the audit kind of a refused attempt
_AROUND = timedelta(days=1)  # calendars read around a refused slot to say what now blocks it


def _grounds(error: Refused) -> str:
    """What kind of rule refused: a missing permission, the lifecycle state, or another gate."""
    if isinstance(error, PermissionDenied):
        return "permission"
    if isinstance(error, IllegalTransition):
        return "state"
    return "rule"


def record_refusal(deps: Deps, escalation_id: str, user_id: str, command: str, error: Refused) -> bool:
    """Append ``refused`` (actor, command, reason) to the escalation's trail in its own transaction; whether
    it was recorded. A store that fails here does not hide the refusal itself: the caller raises that."""
    if isinstance(error, Conflict) or user_id == SYSTEM.id:
        return False
    try:
        with deps.uow() as uow:
            user, esc = uow.users.get(user_id), uow.escalations.get(escalation_id)
            if user is None or esc is None:
                return False
            payload = {"command": command, "grounds": _grounds(error), "reason": str(error)}
            esc.record(deps.clock(), user.id, REFUSED, payload)
            uow.escalations.save(esc)
            uow.commit()
            return True
    except ReadoutError:
        return False


@contextmanager
def recorded_refusals(deps: Deps, escalation_id: str, user_id: str, command: str) -> Iterator[None]:
    """Run a decision; when a rule refuses it, record the attempt (``record_refusal``) and re-raise."""
    try:
        yield
    except Refused as error:
        record_refusal(deps, escalation_id, user_id, command, error)
        raise


def local_slot(slot: Interval, zone: ZoneInfo, with_utc: bool = False) -> str:
    """``Tue 17 Nov 13:00-14:00 New York``: a slot in one zone's wall time, named by its city (with the UTC
    second when ``with_utc``: ``Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)``)."""
    if with_utc:
        return times.slot(slot.start, slot.end, zone.key)
    return f"{times.local_span(slot.start, slot.end, zone.key)} {times.city(zone.key)}"


def slot_obstacles(
    deps: Deps, planned: PlannedCase, waivers: list[Waiver], reviewed_interpreter: str | None, slot: Interval
) -> tuple[str, ...]:
    """Why the fresh check refused ``slot``, in terms of its inputs: who became busy (name, role, their local
    time), which interpreter or blackout now blocks it, or the clock (minimum notice). Reads the calendars
    around the slot once more (free/busy only); empty when nothing found explains it any more."""
    plan, case = planned.plan, planned.case
    if plan.status is PlanStatus.NOT_READY:
        return tuple(f"the case is not ready: {why}" for why in plan.not_ready)
    found: list[str] = []
    if plan.earliest_start is not None and slot.start < plan.earliest_start:
        found.append(
            "it now starts inside the minimum notice: the earliest start is "
            f"{_moment(plan.earliest_start, case)}"
        )
    window = Interval(slot.start - _AROUND, slot.end + _AROUND)
    read = gather(planned.loaded, deps.reader, window, deps.source_timeout)
    blackouts = replace(case.blackouts, absolute=case.blackouts.absolute + read.blackouts)
    fresh = replace(case, blackouts=blackouts)
    constraints = Constraints(fresh, window, read.people, read.interpreters)
    starts, ends = np.array([to_micros(slot.start)]), np.array([to_micros(slot.end)])
    broken = {f for f, flags in constraints.broken_all(starts, ends).items() if flags[0]}
    broken -= {w.family for w in waivers if w.slot == slot}
    for role in ROLES:
        if attendee_family(role) in broken:
            found.append(_attendee_obstacle(case, role, read.people, slot))
    there = local_slot(slot, case.customer_zone, with_utc=True)
    if INTERPRETER in broken:
        found.append(f"no approved {case.readout.language or ''} interpreter is free {there} any more")
    if CAB_BLACKOUT in broken:
        found.append(f"a change blackout of {case.customer_name} now covers {there}")
    found += [f"{family} now blocks it" for family in sorted(broken - _EXPLAINED)]
    if not broken and reviewed_interpreter is not None:
        still = next((e for e in eligible_slots(plan, waivers) if e.slot == slot), None)
        if still is not None and still.interpreter != reviewed_interpreter:
            found.append(_interpreter_change(case, reviewed_interpreter, still.interpreter, slot))
    return tuple(found)


_EXPLAINED = frozenset({*(attendee_family(r) for r in ROLES), INTERPRETER, CAB_BLACKOUT})


def _attendee_obstacle(case: Case, role: str, busy: dict[str, Availability], slot: Interval) -> str:
    person = case.people[case.roles[role] or ""]
    who = f"{person.name} ({role.replace('_', ' ')})"
    seen = busy.get(person.id)
    if seen is not None and seen.error is not None:
        return f"{who}: their calendar could not be read ({seen.error}), so they count as unavailable"
    return f"{who} is now busy {local_slot(slot, person.zone)}, their time"


def _interpreter_change(case: Case, before: str, after: str | None, slot: Interval) -> str:
    names = {i.id: i for i in case.interpreters}
    was = names[before].name if before in names else before
    then = names[after].name if after in names else "nobody"
    zone = names[before].zone if before in names else case.customer_zone
    return (
        f"interpreter {was} is now busy {local_slot(slot, zone)}, their time; {then} would interpret "
        "instead, which changes the invite packet"
    )


def _moment(at: datetime, case: Case) -> str:
    local = at.astimezone(case.customer_zone)
    return f"{local:%a %d %b %H:%M} ({case.customer_zone.key}), {utc_text(at)}"
