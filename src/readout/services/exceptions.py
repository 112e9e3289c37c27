"""Use cases: request an exception by hand, and approve or reject one.

An approval records one waiver per family for exactly one slot. A slot needing two waivers (coverage and a
handoff window) needs both approvers. A rejection goes to support leadership at once.

Separation of duties: whoever an exception request is raised for (its requester, or for a request Readout
raised because a plan found no eligible slot, the person whose command made that plan) may not approve or
reject it, and whoever waived a constraint for a slot may not confirm that slot (``check_not_own_waiver``,
called by confirm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from readout.domain.eligibility import near_miss_options
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route, Waiver
from readout.domain.intervals import Interval, utc_text
from readout.domain.lifecycle import Action
from readout.domain.users import SYSTEM, Permission, User, may, may_waive
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services.context import Deps, actor, load_escalation, slot_text
from readout.services.escalations import OPTIONS_OFFERED
from readout.services.ports import UnitOfWork

__all__ = [
    "DecisionOutcome",
    "approve",
    "check_not_own_waiver",
    "raised_for",
    "reject",
    "request_exception",
]


@dataclass(frozen=True)
class DecisionOutcome:
    """The request after the call, the waivers it recorded, and what is still missing."""

    escalation: Escalation
    request: ExceptionRequest
    recorded: tuple[Waiver, ...] = ()
    still_needed: tuple[str, ...] = ()


def _open_request(uow: UnitOfWork, esc: Escalation, action: Action) -> ExceptionRequest:
    esc.require(action)
    found = [r for r in uow.exceptions.of(esc.id) if r.decision is Decision.OPEN]
    if not found:
        raise NotFound(f"{esc.id} has no open exception request")
    return found[-1]


def request_exception(deps: Deps, escalation_id: str, user_id: str, reason: str) -> DecisionOutcome:
    """A coordinator asks support leadership to decide (e.g. replacing a role holder: never automatic)."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.REQUEST_EXCEPTION)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.REQUEST_EXCEPTION)
        if not reason.strip():
            raise Refused("an exception request needs a reason")
        plan = uow.plans.latest(esc.id)
        request = uow.exceptions.add(
            ExceptionRequest(
                0, esc.id, now, user.id, Route.SUPPORT_LEADERSHIP, plan.causes if plan else (),
                near_miss_options(plan, OPTIONS_OFFERED) if plan else (), esc.deadline, reason,
            )
        )  # fmt: skip
        esc.transition(
            Action.REQUEST_EXCEPTION,
            now,
            user.id,
            {
                "request": request.id,
                "route": request.route.value,
                "reason": reason,
                "deadline": utc_text(esc.deadline),
            },
        )
        uow.escalations.save(esc)
        uow.commit()
        return DecisionOutcome(esc, request)


def approve(
    deps: Deps, escalation_id: str, user_id: str, start: datetime | None, reason: str
) -> DecisionOutcome:
    """Approve the open request: waive the families of the near miss at ``start`` that the user may waive."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id)
        esc = load_escalation(uow, escalation_id)
        request = _open_request(uow, esc, Action.APPROVE_EXCEPTION)
        _refuse_own_request(uow, request, user)
        if request.route is Route.SUPPORT_LEADERSHIP:
            outcome = _leadership_approval(uow, esc, request, user, now, reason)
        else:
            outcome = _waive(uow, esc, request, user, start, now, reason)
        uow.escalations.save(esc)
        uow.commit()
        return outcome


def _leadership_approval(
    uow: UnitOfWork, esc: Escalation, request: ExceptionRequest, user: User, now: datetime, reason: str
) -> DecisionOutcome:
    if not may(user, Permission.DECIDE_ESCALATION):
        raise PermissionDenied(f"{user.name} may not decide requests routed to support leadership")
    decided = request.decided(Decision.APPROVED, user.id, now, reason)
    uow.exceptions.update(decided)
    esc.transition(Action.APPROVE_EXCEPTION, now, user.id, {"request": request.id, "reason": reason})
    return DecisionOutcome(esc, decided)


def _waive(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    start: datetime | None,
    now: datetime,
    reason: str,
) -> DecisionOutcome:
    if start is None:
        raise Refused("name the near miss to approve (--slot START)")
    option = request.option_at(start)
    if option is None:
        raise NotFound(f"request {request.id} offers no near miss starting {utc_text(start)}")
    granted = {w.family for w in uow.waivers.of(esc.id) if w.slot == option.slot}
    mine = [f for f in option.waivers if f not in granted and may_waive(user, f)]
    if not mine:
        needed = [f for f in option.waivers if f not in granted]
        raise PermissionDenied(
            f"{user.name} may not waive {', '.join(needed) or 'anything more'} for this slot"
        )
    recorded = tuple(Waiver(esc.id, request.id, option.slot, f, user.id, now, reason) for f in mine)
    for waiver in recorded:
        uow.waivers.add(waiver)
        esc.record(
            now,
            user.id,
            "waiver_recorded",
            {**slot_text(option.slot), "family": waiver.family, "reason": reason, "request": request.id},
        )
    still = tuple(f for f in option.waivers if f not in granted and f not in mine)
    if still:
        return DecisionOutcome(esc, request, recorded, still)
    decided = request.decided(Decision.APPROVED, user.id, now, reason)
    uow.exceptions.update(decided)
    esc.transition(
        Action.APPROVE_EXCEPTION,
        now,
        user.id,
        {"request": request.id, **slot_text(option.slot), "waivers": list(option.waivers)},
    )
    return DecisionOutcome(esc, decided, recorded)


def reject(deps: Deps, escalation_id: str, user_id: str, reason: str) -> DecisionOutcome:
    """Reject the open request. A refused waiver goes to support leadership; leadership's no stands."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id)
        esc = load_escalation(uow, escalation_id)
        request = _open_request(uow, esc, Action.REJECT_EXCEPTION)
        _refuse_own_request(uow, request, user)
        if not _may_decide(user, request):
            raise PermissionDenied(f"{user.name} may not decide this request")
        decided = request.decided(Decision.REJECTED, user.id, now, reason)
        uow.exceptions.update(decided)
        esc.transition(Action.REJECT_EXCEPTION, now, user.id, {"request": request.id, "reason": reason})
        if request.route is Route.WAIVER_APPROVERS:
            escalation = {"request": request.id, "route": Route.SUPPORT_LEADERSHIP.value}
            esc.transition(Action.ESCALATE, now, SYSTEM.id, escalation)
        uow.escalations.save(esc)
        uow.commit()
        return DecisionOutcome(esc, decided)


def _may_decide(user: User, request: ExceptionRequest) -> bool:
    """Leadership decides what was routed to it; a waiver request, whoever may waive one of its families."""
    if request.route is Route.SUPPORT_LEADERSHIP:
        return may(user, Permission.DECIDE_ESCALATION)
    waivable = any(may_waive(user, f) for option in request.options for f in option.waivers)
    return waivable or may(user, Permission.DECIDE_ESCALATION)


def raised_for(uow: UnitOfWork, request: ExceptionRequest) -> str:
    """Whose request it is: the requester, or for one Readout raised when a plan found no eligible slot, the
    person whose command led to it: the nearest person before it in the escalation's audit trail (who opened
    or re-planned; for Readout's own re-plans after a refused hold or confirmation, the person before)."""
    if request.requested_by != SYSTEM.id:
        return request.requested_by
    entries = uow.audit.entries(request.escalation_id)
    raising = (Action.REQUEST_EXCEPTION.value, Action.ESCALATE.value)
    at = next(
        (i for i, e in enumerate(entries) if e.kind in raising and e.payload.get("request") == request.id),
        len(entries),
    )
    return next((e.actor for e in reversed(entries[:at]) if e.actor != SYSTEM.id), SYSTEM.id)


def _refuse_own_request(uow: UnitOfWork, request: ExceptionRequest, user: User) -> None:
    if raised_for(uow, request) == user.id:
        raise PermissionDenied(
            f"{user.name} may not decide exception request {request.id}: it was raised for them (they "
            "requested it, or opened or re-planned the escalation that raised it); the one who requests an "
            "exception is not the one who waives it"
        )


def check_not_own_waiver(uow: UnitOfWork, esc: Escalation, user: User, slot: Interval) -> None:
    """PermissionDenied when ``user`` waived a constraint for ``slot``: who waives does not also confirm."""
    mine = sorted({w.family for w in uow.waivers.of(esc.id) if w.slot == slot and w.approved_by == user.id})
    if mine:
        raise PermissionDenied(
            f"{user.name} may not confirm {slot_text(slot)['start']}: they waived {', '.join(mine)} for it; "
            "someone who did not approve its waivers confirms"
        )
