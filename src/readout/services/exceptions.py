"""Use cases: request an exception by hand, and approve or reject one.

An approval records one waiver per family for exactly one slot. A slot needing two waivers (coverage and a
handoff window) needs both approvers. A rejection goes to support leadership at once.

Support leadership's approval names what it approves, one of: a slot the request offered (its waivers are
recorded in leadership's name; ``customer_asked`` records that the customer asked for that slot), or a
replacement role holder (``replacement=(ROLE, PERSON)``, a person of the case's ``people``). A replacement is
never automatic: the approval stores the case document with that role given to that person as the escalation's
next version (origin "exception request #N approved by USER", audited ``case_changed``), in the same
transaction as the decision; the escalation is then re-planned from it, and every later plan uses it.

Every refused approval or rejection (wrong role, own request, a slot the request did not offer) is recorded in
the audit trail with the actor and the reason (``services.refusals``); nothing else changes.

Separation of duties: whoever an exception request is raised for (its requester, or for a request Readout
raised because a plan found no eligible slot, the person whose command made that plan) may not approve or
reject it, and whoever waived a constraint for a slot may not confirm that slot (``check_not_own_waiver``,
called by confirm).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from readout.domain.case_document import CaseDocument, CaseVersion
from readout.domain.eligibility import near_miss_options
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route, Waiver
from readout.domain.intervals import Interval, utc_text
from readout.domain.lifecycle import Action
from readout.domain.names import ROLES
from readout.domain.users import SYSTEM, Permission, User, may, may_waive
from readout.errors import NotFound, PermissionDenied, Refused
from readout.services import announcements
from readout.services.context import Deps, actor, load_escalation, slot_text, stored_case
from readout.services.escalations import OPTIONS_OFFERED, PlanOutcome, replan_stored
from readout.services.ports import UnitOfWork
from readout.services.refusals import recorded_refusals

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
    """The request after the call, the waivers it recorded, and what is still missing. ``approves`` says in
    words what an approval approved; ``plan`` is the re-plan an approved replacement led to."""

    escalation: Escalation
    request: ExceptionRequest
    recorded: tuple[Waiver, ...] = ()
    still_needed: tuple[str, ...] = ()
    approves: str = ""
    plan: PlanOutcome | None = None


@dataclass(frozen=True)
class _Replacement:
    """An approved replacement, decided and stored: who now holds which role."""

    role: str
    person: str


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
        announcements.requests_changed(deps, uow, esc, now)
        uow.commit()
        return DecisionOutcome(esc, request)


def approve(
    deps: Deps,
    escalation_id: str,
    user_id: str,
    start: datetime | None,
    reason: str,
    *,
    replacement: tuple[str, str] | None = None,
    customer_asked: bool = False,
) -> DecisionOutcome:
    """Approve the open request: waive the families of the near miss at ``start`` that the user may waive,
    or, by support leadership, approve that slot (``customer_asked``: the customer asked for it) or the
    ``replacement`` (ROLE, PERSON), which stores the case with that person in that role and re-plans."""
    with recorded_refusals(deps, escalation_id, user_id, "approve"):
        now = deps.clock()
        with deps.uow() as uow:
            user = actor(uow, user_id)
            esc = load_escalation(uow, escalation_id)
            request = _open_request(uow, esc, Action.APPROVE_EXCEPTION)
            _refuse_own_request(uow, request, user)
            if replacement is not None:
                outcome = _approve_replacement(
                    deps, uow, esc, request, user, replacement, (start, now, reason)
                )
            elif request.route is Route.SUPPORT_LEADERSHIP:
                outcome = _leadership_approval(uow, esc, request, user, (start, now, reason), customer_asked)
            else:
                outcome = _waive(uow, esc, request, user, start, now, reason, customer_asked)
            uow.escalations.save(esc)
            announcements.requests_changed(deps, uow, esc, now)
            uow.commit()
    if replacement is None:
        return outcome
    role, person = replacement
    why = f"exception request #{request.id} approved: {person} replaces the {role.replace('_', ' ')}"
    return DecisionOutcome(
        outcome.escalation,
        outcome.request,
        approves=outcome.approves,
        plan=replan_stored(deps, esc.id, None, why),
    )


def _leadership_approval(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    when: tuple[datetime | None, datetime, str],
    customer_asked: bool,
) -> DecisionOutcome:
    """Support leadership approves one slot the request offered, with every waiver it needs."""
    start, now, reason = when
    if not may(user, Permission.DECIDE_ESCALATION):
        raise PermissionDenied(f"{user.name} may not decide requests routed to support leadership")
    offered = ", ".join(utc_text(o.slot.start) or "" for o in request.options)
    if start is None:
        raise Refused(
            f"name what you approve for request {request.id}: a slot it offers (--slot START; "
            f"{offered or 'it offers none'}) or a replacement role holder (--replacement ROLE=PERSON)"
        )
    option = request.option_at(start)
    if option is None:
        raise NotFound(
            f"request {request.id} offers no slot starting {utc_text(start)} "
            f"({'it offers ' + offered if offered else 'it offers none: approve a replacement instead'})"
        )
    granted = {w.family for w in uow.waivers.of(esc.id) if w.slot == option.slot}
    missing = tuple(f for f in option.waivers if f not in granted)
    recorded = _record_waivers(uow, esc, request, user, option.slot, missing, now, reason)
    return _approved(
        uow, esc, request, user, now, reason, recorded, _slot_approval(option.slot, customer_asked)
    )


def _slot_approval(slot: Interval, customer_asked: bool) -> dict[str, Any]:
    return {"approves": "slot", **slot_text(slot), "customer_asked": customer_asked}


def _approved(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    now: datetime,
    reason: str,
    recorded: tuple[Waiver, ...],
    what: dict[str, Any],
) -> DecisionOutcome:
    """Close the request as approved, naming what was approved in the decision and the audit trail."""
    words = _approval_words(what, recorded)
    decided = request.decided(Decision.APPROVED, user.id, now, reason)
    uow.exceptions.update(decided)
    payload = {"request": request.id, **what, "waivers": [w.family for w in recorded], "reason": reason}
    esc.transition(Action.APPROVE_EXCEPTION, now, user.id, payload)
    return DecisionOutcome(esc, decided, recorded, approves=words)


def _approval_words(what: Mapping[str, Any], recorded: tuple[Waiver, ...]) -> str:
    if what["approves"] == "replacement":
        return (
            f"{what['person_name']} ({what['person']}) replaces {what['replaces_name']} as "
            f"{what['role'].replace('_', ' ')}"
        )
    waived = ", ".join(sorted({w.family for w in recorded})) or "no waiver"
    asked = " (the customer asked for it)" if what.get("customer_asked") else ""
    return f"the slot {what['start']} with {waived}{asked}"


def _approve_replacement(
    deps: Deps,
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    replacement: tuple[str, str],
    when: tuple[datetime | None, datetime, str],
) -> DecisionOutcome:
    """Store the case with ``replacement`` as the next version and close the request as approved."""
    start, now, reason = when
    if not may(user, Permission.DECIDE_ESCALATION):
        raise PermissionDenied(
            f"{user.name} may not approve a replacement role holder (support leadership does)"
        )
    if start is not None:
        raise Refused("approve one thing at a time: a slot (--slot) or a replacement (--replacement)")
    role, person_id = replacement
    loaded = stored_case(deps, uow, esc)
    case = loaded.case
    if role not in ROLES:
        raise Refused(f"no role {role!r}: one of {', '.join(ROLES)}")
    if person_id not in case.people:
        raise Refused(
            f"{person_id!r} is not in the case's people ({', '.join(sorted(case.people))}): add them with "
            f"`readout update {esc.id} CASE --as USER` first"
        )
    current = case.roles.get(role)
    if current == person_id:
        raise Refused(f"{case.people[person_id].name} already is the {role.replace('_', ' ')}")
    body = {**loaded.document.body, "roles": {**loaded.document.body.get("roles", {}), role: person_id}}
    # Same origin as the version it changes: an API document keeps the API's calendar rules when built again.
    document = CaseDocument(body, loaded.document.origin)
    deps.cases.build(document)  # the changed document must still be a valid case
    _store_version(uow, esc, document, user, now, f"exception request #{request.id} approved by {user.id}")
    replaced = case.people[current].name if current in case.people else "nobody"
    what = {
        "approves": "replacement",
        "role": role,
        "person": person_id,
        "person_name": case.people[person_id].name,
        "replaces": current,
        "replaces_name": replaced,
    }
    return _approved(uow, esc, request, user, now, reason, (), what)


def _store_version(
    uow: UnitOfWork, esc: Escalation, document: CaseDocument, user: User, now: datetime, because: str
) -> None:
    """``document`` as the escalation's next case version, audited with both digests and why it changed."""
    version = esc.case_version + 1
    uow.cases.add(CaseVersion(esc.id, version, document, user.id, now))
    payload = {
        "from": esc.case_digest,
        "to": document.digest,
        "version": version,
        "origin": document.origin,
        "because": because,
    }
    esc.record(now, user.id, "case_changed", payload)
    esc.case_digest, esc.case_version = document.digest, version


def _waive(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    start: datetime | None,
    now: datetime,
    reason: str,
    customer_asked: bool = False,
) -> DecisionOutcome:
    if start is None:
        raise Refused("name the near miss to approve (--slot START)")
    option = request.option_at(start)
    if option is None:
        raise NotFound(f"request {request.id} offers no near miss starting {utc_text(start)}")
    granted = {w.family for w in uow.waivers.of(esc.id) if w.slot == option.slot}
    mine = tuple(f for f in option.waivers if f not in granted and may_waive(user, f))
    if not mine:
        needed = [f for f in option.waivers if f not in granted]
        raise PermissionDenied(
            f"{user.name} may not waive {', '.join(needed) or 'anything more'} for this slot"
        )
    recorded = _record_waivers(uow, esc, request, user, option.slot, mine, now, reason)
    still = tuple(f for f in option.waivers if f not in granted and f not in mine)
    if still:
        return DecisionOutcome(esc, request, recorded, still)
    return _approved(
        uow, esc, request, user, now, reason, recorded, _slot_approval(option.slot, customer_asked)
    )


def _record_waivers(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    user: User,
    slot: Interval,
    families: tuple[str, ...],
    now: datetime,
    reason: str,
) -> tuple[Waiver, ...]:
    recorded = tuple(Waiver(esc.id, request.id, slot, f, user.id, now, reason) for f in families)
    for waiver in recorded:
        uow.waivers.add(waiver)
        esc.record(
            now,
            user.id,
            "waiver_recorded",
            {**slot_text(slot), "family": waiver.family, "reason": reason, "request": request.id},
        )
    return recorded


def reject(deps: Deps, escalation_id: str, user_id: str, reason: str) -> DecisionOutcome:
    """Reject the open request. A refused waiver goes to support leadership; leadership's no stands."""
    with recorded_refusals(deps, escalation_id, user_id, "reject"):
        return _reject(deps, escalation_id, user_id, reason)


def _reject(deps: Deps, escalation_id: str, user_id: str, reason: str) -> DecisionOutcome:
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
            _to_leadership(uow, esc, request, user, now, reason)
        uow.escalations.save(esc)
        announcements.requests_changed(deps, uow, esc, now)
        uow.commit()
        return DecisionOutcome(esc, decided)


def _to_leadership(
    uow: UnitOfWork, esc: Escalation, rejected: ExceptionRequest, user: User, now: datetime, reason: str
) -> ExceptionRequest:
    """A rejected waiver request goes on to support leadership as an open request of its own (same causes,
    options and deadline, raised for the same person), so that leadership can approve one of its slots, a
    replacement, or say no."""
    why = f"waiver request #{rejected.id} rejected by {user.name}: {reason}"
    request = uow.exceptions.add(
        ExceptionRequest(
            0, esc.id, now, raised_for(uow, rejected), Route.SUPPORT_LEADERSHIP, rejected.causes,
            rejected.options, rejected.deadline, why,
        )
    )  # fmt: skip
    payload = {"request": request.id, "rejected": rejected.id, "route": Route.SUPPORT_LEADERSHIP.value}
    esc.transition(Action.ESCALATE, now, SYSTEM.id, payload)
    return request


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
        return _principal(uow, request.requested_by)
    entries = uow.audit.entries(request.escalation_id)
    raising = (Action.REQUEST_EXCEPTION.value, Action.ESCALATE.value)
    at = next(
        (i for i, e in enumerate(entries) if e.kind in raising and e.payload.get("request") == request.id),
        len(entries),
    )
    return _principal(uow, next((e.actor for e in reversed(entries[:at]) if e.actor != SYSTEM.id), SYSTEM.id))


def _principal(uow: UnitOfWork, user_id: str) -> str:
    """The person answerable for ``user_id``'s actions: an agent's principal, or the user themself. A request
    an agent raised is its principal's: they may not decide it either."""
    user = uow.users.get(user_id) if user_id != SYSTEM.id else None
    if user is not None and user.is_agent and user.on_behalf_of is not None:
        return user.on_behalf_of
    return user_id


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
