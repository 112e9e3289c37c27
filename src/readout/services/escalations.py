"""Use cases: open an escalation from its case file, and (re-)plan it.

Planning is where escalation happens at once: a plan with no eligible slot opens an exception request to the
waiver approvers when near misses exist, and goes straight to support leadership when none do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route, route_for
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import Action
from readout.domain.plan import PlanStatus
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import Conflict, Refused
from readout.services.context import Deps, actor, load_escalation, slot_text
from readout.services.effects import carry_out, end_with_release
from readout.services.eligibility import eligible_slots, near_miss_options
from readout.services.plan_json import plan_to_json, utc_text
from readout.services.planning import PlannedCase, plan_case_file
from readout.services.ports import UnitOfWork

__all__ = [
    "OPTIONS_OFFERED",
    "PlanOutcome",
    "apply_replan",
    "open_escalation",
    "plan_escalation",
    "replan_stored",
]

OPTIONS_OFFERED = 5  # near misses carried by an exception request
_REPLAN_ATTEMPTS = 3  # plans made again when the escalation changed while its calendars were read
_AUDITED_CANDIDATES = 10  # candidates listed in the audit entry of a plan (all are in the stored plan)


@dataclass(frozen=True)
class PlanOutcome:
    """What planning did to the escalation."""

    escalation: Escalation
    planned: PlannedCase
    request: ExceptionRequest | None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_escalation(deps: Deps, case_path: Path, user_id: str) -> PlanOutcome:
    """Open the escalation described by a case file and plan it right away."""
    now = deps.clock()
    planned = plan_case_file(case_path, deps.reader, deps.clock, now, deps.source_timeout)
    case = planned.case
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.OPEN_AND_PLAN)
        esc = Escalation(
            id=case.escalation_id,
            case_path=str(case_path.resolve()),
            case_digest=_digest(case_path),
            customer_id=case.customer_id,
            opened_at=now,
        )
        esc.record(now, user.id, "opened", {"customer": case.customer_id, "case_digest": esc.case_digest})
        uow.escalations.add(esc)
        outcome = _apply_plan(uow, esc, planned, user, now, "opened")
        uow.escalations.save(esc)
        uow.commit()
    return outcome


def plan_escalation(
    deps: Deps, escalation_id: str, user_id: str, reason: str = "re-plan requested"
) -> PlanOutcome:
    """Re-read the case file and calendars and plan again (inputs changed, approval arrived, hold lost)."""
    return replan_stored(deps, escalation_id, user_id, reason)


def replan_stored(deps: Deps, escalation_id: str, user_id: str | None, reason: str) -> PlanOutcome:
    """Plan a stored escalation again: calendars are read outside any transaction, then the plan is applied
    if nobody changed the escalation meanwhile (else read and plan again). ``user_id`` None: Readout."""
    for _ in range(_REPLAN_ATTEMPTS):
        now = deps.clock()
        with deps.uow() as uow:
            _planner(uow, user_id)
            esc = load_escalation(uow, escalation_id)
            if esc.is_final:
                raise Refused(f"escalation {esc.id} is {esc.state.value}: nothing to plan")
            path, version = Path(esc.case_path), esc.version
        planned = plan_case_file(path, deps.reader, deps.clock, now, deps.source_timeout)
        with deps.uow() as uow:
            user = _planner(uow, user_id)
            esc = load_escalation(uow, escalation_id)
            if esc.version != version:
                continue  # changed while the calendars were read: plan from the new state
            outcome = apply_replan(uow, esc, planned, user, now, reason)
            uow.escalations.save(esc)
            uow.commit()
        carry_out(deps, escalation_id)
        return outcome
    raise Conflict(f"escalation {escalation_id} kept changing while it was planned; try again")


def _planner(uow: UnitOfWork, user_id: str | None) -> User:
    return SYSTEM if user_id is None else actor(uow, user_id, Permission.OPEN_AND_PLAN)


def apply_replan(
    uow: UnitOfWork, esc: Escalation, planned: PlannedCase, user: User, now: datetime, reason: str
) -> PlanOutcome:
    """Apply a fresh plan to a stored escalation inside the caller's unit of work (the caller saves and
    commits, then carries out the releases this writes)."""
    if esc.is_final:
        raise Refused(f"escalation {esc.id} is {esc.state.value}: nothing to plan")
    path = Path(esc.case_path)
    if planned.case.escalation_id != esc.id:
        raise Refused(f"{path} now describes {planned.case.escalation_id}, not {esc.id}")
    digest = _digest(path)
    if digest != esc.case_digest:
        esc.record(now, user.id, "case_changed", {"from": esc.case_digest, "to": digest})
        esc.case_digest = digest
    outcome = _apply_plan(uow, esc, planned, user, now, reason)
    _release_ineligible_holds(uow, esc, now, planned.plan.status is PlanStatus.NOT_READY)
    return outcome


def _plan_payload(plan: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "reason": reason,
        "status": plan["status"],
        "not_ready": plan["not_ready"],
        "deadline": plan["deadline"],
        "earliest_start": plan["earliest_start"],
        "candidates_offered": [
            {k: c[k] for k in ("start", "end", "score", "interpreter")}
            for c in plan["candidates"][:_AUDITED_CANDIDATES]
        ],
        "compliant_count": plan["compliant_count"],
        "near_miss_count": plan["near_miss_count"],
        "rejected_by_family": plan["violations"],
        "causes": plan["causes"],
        "unknown": plan["unknown"],
    }


def _apply_plan(
    uow: UnitOfWork, esc: Escalation, planned: PlannedCase, user: User, now: datetime, reason: str
) -> PlanOutcome:
    plan = planned.plan
    data = plan_to_json(plan, None)
    esc.approved_at, esc.deadline = planned.case.approved_at, plan.deadline
    _supersede_open_requests(uow, esc, now)
    if plan.status is PlanStatus.NOT_READY:
        esc.transition(Action.PLAN_NOT_READY, now, user.id, _plan_payload(data, reason))
        return PlanOutcome(esc, planned, None)
    uow.plans.add(esc.id, now, data)
    esc.transition(Action.PLAN, now, user.id, _plan_payload(data, reason))
    if eligible_slots(data, uow.waivers.of(esc.id)):
        if esc.first_viable_at is None:
            esc.first_viable_at = now
        return PlanOutcome(esc, planned, None)
    return PlanOutcome(esc, planned, _escalate_at_once(uow, esc, data, now))


def _escalate_at_once(
    uow: UnitOfWork, esc: Escalation, plan: dict[str, Any], now: datetime
) -> ExceptionRequest:
    """No eligible slot: ask the waiver approvers about the nearest options, else support leadership."""
    options = near_miss_options(plan, OPTIONS_OFFERED)
    request = uow.exceptions.add(
        ExceptionRequest(
            id=0,
            escalation_id=esc.id,
            requested_at=now,
            requested_by="readout",
            route=route_for(options),
            causes=tuple(plan["causes"]),
            options=options,
            deadline=esc.deadline,
            reason="no compliant slot before the deadline",
        )
    )
    payload = {
        "request": request.id,
        "route": request.route.value,
        "causes": list(request.causes),
        "options": [{**slot_text(o.slot), "waivers": list(o.waivers)} for o in options],
        "deadline": utc_text(esc.deadline),
    }
    action = Action.REQUEST_EXCEPTION if request.route is Route.WAIVER_APPROVERS else Action.ESCALATE
    esc.transition(action, now, "readout", payload)
    return request


def _supersede_open_requests(uow: UnitOfWork, esc: Escalation, now: datetime) -> None:
    for request in uow.exceptions.of(esc.id):
        if request.decision is Decision.OPEN:
            uow.exceptions.update(
                request.decided(Decision.SUPERSEDED, "readout", now, "a newer plan was made")
            )
            esc.record(now, "readout", "exception_superseded", {"request": request.id})


def _release_ineligible_holds(uow: UnitOfWork, esc: Escalation, now: datetime, not_ready: bool) -> None:
    """Live holds on slots the new plan no longer allows are released at once (fail closed)."""
    plan = None if not_ready else uow.plans.latest(esc.id)
    allowed = {e.slot for e in eligible_slots(plan, uow.waivers.of(esc.id))} if plan else set()
    for hold in uow.holds.of(esc.id):
        if hold.status is HoldStatus.LIVE and hold.slot not in allowed:
            end_with_release(uow, esc, hold, HoldStatus.RELEASED, now, SYSTEM.id, "slot no longer compliant")
