"""Use cases: open an escalation from its case document, store a new version, and (re-)plan it.

The stored case document is the escalation's record: opening stores it as version 1, a changed document is
a new version (audited with both digests, then planned), and every later command builds its case from the
stored version. Planning is where escalation happens at once: a plan with no eligible slot opens an
exception request to the waiver approvers when near misses exist, and goes straight to support leadership
when none do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from readout.domain.audit import STARTS
from readout.domain.case_document import CaseDocument, CaseVersion, LoadedCase, storable
from readout.domain.eligibility import eligible_slots, near_miss_options
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route, route_for
from readout.domain.family_grid import family_grid
from readout.domain.holds import HoldStatus
from readout.domain.intervals import utc_text
from readout.domain.lifecycle import Action
from readout.domain.names import family_order
from readout.domain.plan import Plan, PlanStatus
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import Conflict, Refused
from readout.services import announcements
from readout.services.context import (
    AsOf,
    Deps,
    actor,
    load_escalation,
    planning_instant,
    slot_text,
    stored_case,
)
from readout.services.effects import carry_out, end_with_release
from readout.services.planning import PlannedCase, plan_case
from readout.services.ports import UnitOfWork

__all__ = [
    "OPTIONS_OFFERED",
    "PlanOutcome",
    "apply_replan",
    "open_escalation",
    "plan_escalation",
    "replan_stored",
    "searched_starts",
    "update_case",
]

OPTIONS_OFFERED = 5  # near misses carried by an exception request
_REPLAN_ATTEMPTS = 3  # plans made again when the escalation changed while its calendars were read
_AUDITED_CANDIDATES = 10  # candidates listed in the audit entry of a plan (all are in the stored plan)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanOutcome:
    """What planning did to the escalation (and whether it stored a new version of its case document)."""

    escalation: Escalation
    planned: PlannedCase
    request: ExceptionRequest | None
    new_version: bool = False
    as_of: AsOf = AsOf.CLOCK  # where the planning instant came from (``--now``, the case file, the clock)


def open_escalation(deps: Deps, document: CaseDocument, user_id: str) -> PlanOutcome:
    """Open the escalation a case document describes, store the document as version 1, and plan it.

    Opening an escalation that is already open stores the document as its next version instead
    (``update_case``)."""
    loaded = _storable(deps, document)
    document = loaded.document
    escalation_id = loaded.case.escalation_id
    with deps.look() as uow:
        actor(uow, user_id, Permission.OPEN_AND_PLAN)
        exists = uow.escalations.get(escalation_id) is not None
    if exists:
        return replan_stored(deps, escalation_id, user_id, "case document updated", loaded)
    now, as_of = planning_instant(deps, loaded)
    planned = plan_case(loaded, deps.reader, now, deps.source_timeout)
    case = loaded.case
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.OPEN_AND_PLAN)
        esc = Escalation(
            id=case.escalation_id, case_digest=document.digest, customer_id=case.customer_id, opened_at=now
        )
        uow.cases.add(CaseVersion(esc.id, 1, document, user.id, now))
        esc.record(
            now,
            user.id,
            "opened",
            {
                "customer": case.customer_id,
                "case_digest": document.digest,
                "case_version": 1,
                "origin": document.origin,
            },
        )
        uow.escalations.add(esc)
        outcome = _apply_plan(uow, esc, planned, user, now, "opened")
        uow.escalations.save(esc)
        announcements.requests_changed(deps, uow, esc, now)
        uow.commit()
    return PlanOutcome(outcome.escalation, outcome.planned, outcome.request, new_version=True, as_of=as_of)


def update_case(deps: Deps, escalation_id: str, document: CaseDocument, user_id: str) -> PlanOutcome:
    """Store a changed case document as the escalation's next version (audited with the old and new
    digests) and plan again; an unchanged document only plans again."""
    loaded = _storable(deps, document)
    if loaded.case.escalation_id != escalation_id:
        raise Refused(f"{document.origin} describes {loaded.case.escalation_id}, not {escalation_id}")
    return replan_stored(deps, escalation_id, user_id, "case document updated", loaded)


def _storable(deps: Deps, document: CaseDocument) -> LoadedCase:
    """The case of ``document`` as it will be stored (no internal summary); Refused when it names a calendar
    URL with a query, whose token would be stored with it."""
    loaded = deps.cases.build(storable(document))
    tokens = loaded.tokened_calendars()
    if tokens:
        raise Refused(
            f"{document.origin}: calendar URL {tokens[0]} carries a query (a token?) that would be stored "
            "with the escalation; give its credentials in READOUT_SECRETS_FILE and a URL without a query"
        )
    return loaded


def plan_escalation(
    deps: Deps, escalation_id: str, user_id: str, reason: str = "re-plan requested"
) -> PlanOutcome:
    """Read the calendars again and plan from the stored case (inputs changed, approval came, hold lost)."""
    return replan_stored(deps, escalation_id, user_id, reason)


def replan_stored(
    deps: Deps, escalation_id: str, user_id: str | None, reason: str, changed: LoadedCase | None = None
) -> PlanOutcome:
    """Plan a stored escalation again, from its stored case or from ``changed`` (a new version to store):
    calendars are read outside any transaction, then the plan is applied if nobody changed the escalation
    meanwhile (else read and plan again). ``user_id`` None: Readout itself."""
    for _ in range(_REPLAN_ATTEMPTS):
        with deps.look() as uow:
            _planner(uow, user_id)
            esc = load_escalation(uow, escalation_id)
            esc.require(Action.PLAN)
            loaded = changed or stored_case(deps, uow, esc)
            version = esc.version
        now, as_of = planning_instant(deps, loaded)
        planned = plan_case(loaded, deps.reader, now, deps.source_timeout)
        with deps.uow() as uow:
            user = _planner(uow, user_id)
            esc = load_escalation(uow, escalation_id)
            if esc.version != version:
                continue  # changed while the calendars were read: plan from the new state
            stored = _store_version(uow, esc, loaded.document, user, now) if changed else False
            outcome = apply_replan(uow, esc, planned, user, now, reason)
            uow.escalations.save(esc)
            announcements.holds_ended(deps, uow, esc, user, now)  # told in the thread they were held in
            announcements.requests_changed(deps, uow, esc, now)
            uow.commit()
        carry_out(deps, escalation_id)
        return PlanOutcome(outcome.escalation, outcome.planned, outcome.request, stored, as_of)
    raise Conflict(f"escalation {escalation_id} kept changing while it was planned; try again")


def _planner(uow: UnitOfWork, user_id: str | None) -> User:
    return SYSTEM if user_id is None else actor(uow, user_id, Permission.OPEN_AND_PLAN)


def _store_version(
    uow: UnitOfWork, esc: Escalation, document: CaseDocument, user: User, now: datetime
) -> bool:
    """Store ``document`` as the next version when it differs from the one in force; whether it did."""
    if document.digest == esc.case_digest and esc.case_version:
        return False
    version = esc.case_version + 1
    uow.cases.add(CaseVersion(esc.id, version, document, user.id, now))
    esc.record(
        now,
        user.id,
        "case_changed",
        {"from": esc.case_digest, "to": document.digest, "version": version, "origin": document.origin},
    )
    esc.case_digest, esc.case_version = document.digest, version
    return True


def apply_replan(
    uow: UnitOfWork, esc: Escalation, planned: PlannedCase, user: User, now: datetime, reason: str
) -> PlanOutcome:
    """Apply a fresh plan to a stored escalation inside the caller's unit of work (the caller saves and
    commits, then carries out the releases this writes)."""
    esc.require(Action.PLAN)
    if planned.case.escalation_id != esc.id:
        raise Refused(f"{planned.loaded.source} describes {planned.case.escalation_id}, not {esc.id}")
    outcome = _apply_plan(uow, esc, planned, user, now, reason)
    _release_ineligible_holds(uow, esc, now, planned.plan.status is PlanStatus.NOT_READY)
    return outcome


def _runs(starts: NDArray[np.int64], step: int) -> list[list[Any]]:
    """Sorted starts (UTC microseconds) as runs ``[first start, count]`` of starts ``step`` apart."""
    if not len(starts):
        return []
    breaks = np.flatnonzero(np.diff(starts) != step) + 1
    firsts = np.concatenate(([0], breaks))
    counts = np.diff(np.concatenate((firsts, [len(starts)])))
    # utc_text's form (YYYY-MM-DDTHH:MM:SSZ), formatted by numpy at once: the grid's starts are whole minutes
    texts = np.datetime_as_string(starts[firsts].astype("datetime64[us]"), unit="s").tolist()
    return [[f"{text}Z", int(n)] for text, n in zip(texts, counts.tolist(), strict=True)]


def searched_starts(planned: PlannedCase) -> dict[str, Any] | None:
    """The grid the plan searched and the starts each family rejected on it, as runs (``STARTS`` in the plan's
    audit entry; domain/audit.py says how to read them). Re-checked on the plan's own grid with the busy time
    it was made from; None when the plan searched nothing, or (never expected) when the re-check does not
    give the plan's own counts, so that nothing unfaithful is recorded."""
    plan, calendars = planned.plan, planned.calendars
    if calendars is None or plan.earliest_start is None or plan.deadline is None:
        return None
    case = planned.case
    grid = family_grid(calendars.case_as_planned(case), plan, calendars.people, calendars.interpreters)
    if grid is None:
        return None
    counts = {f: int(m.sum()) for f, m in grid.masks.items() if m.any()}
    if len(grid.starts) != plan.slots_considered or counts != dict(plan.violations):
        log.warning(
            "plan of %s: the re-checked grid differs from the plan; starts not recorded", plan.escalation_id
        )
        return None
    step = case.granularity * 60_000_000
    return {
        "granularity_minutes": case.granularity,
        "duration_minutes": int(case.readout.duration // timedelta(minutes=1)),
        "grid_zone": case.grid_zone.key,
        "horizon": [utc_text(plan.earliest_start), utc_text(plan.deadline)],
        "considered": _runs(grid.starts, step),
        "rejected": {
            f: _runs(grid.starts[grid.masks[f]], step)
            for f in sorted(grid.masks, key=family_order)
            if grid.masks[f].any()
        },
    }


def _plan_payload(plan: Plan, reason: str, starts: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **({STARTS: starts} if starts is not None else {}),
        "reason": reason,
        "status": plan.status.value,
        "not_ready": list(plan.not_ready),
        "deadline": utc_text(plan.deadline),
        "earliest_start": utc_text(plan.earliest_start),
        "candidates_offered": [
            {
                "start": utc_text(c.start),
                "end": utc_text(c.end),
                "score": c.score,
                "interpreter": c.interpreter,
            }
            for c in plan.candidates[:_AUDITED_CANDIDATES]
        ],
        "compliant_count": len(plan.candidates),
        "near_miss_count": len(plan.near_misses),
        "rejected_by_family": dict(plan.violations),
        "causes": list(plan.causes),
        "unknown": [{"id": u.id, "role": u.role, "error": u.error} for u in plan.unknown],
    }


def _apply_plan(
    uow: UnitOfWork, esc: Escalation, planned: PlannedCase, user: User, now: datetime, reason: str
) -> PlanOutcome:
    plan = planned.plan
    esc.approved_at, esc.deadline = planned.case.approved_at, plan.deadline
    _supersede_open_requests(uow, esc, now)
    if plan.status is PlanStatus.NOT_READY:
        esc.transition(Action.PLAN_NOT_READY, now, user.id, _plan_payload(plan, reason))
        return PlanOutcome(esc, planned, None)
    uow.plans.add(esc.id, now, plan)
    esc.transition(Action.PLAN, now, user.id, _plan_payload(plan, reason, searched_starts(planned)))
    if eligible_slots(plan, uow.waivers.of(esc.id)):
        if esc.first_viable_at is None:
            esc.first_viable_at = now
        return PlanOutcome(esc, planned, None)
    return PlanOutcome(esc, planned, _escalate_at_once(uow, esc, plan, now))


def _escalate_at_once(uow: UnitOfWork, esc: Escalation, plan: Plan, now: datetime) -> ExceptionRequest:
    """No eligible slot: ask the waiver approvers about the nearest options, else support leadership."""
    options = near_miss_options(plan, OPTIONS_OFFERED)
    request = uow.exceptions.add(
        ExceptionRequest(
            id=0,
            escalation_id=esc.id,
            requested_at=now,
            requested_by=SYSTEM.id,
            route=route_for(options),
            causes=plan.causes,
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
    esc.transition(action, now, SYSTEM.id, payload)
    return request


def _supersede_open_requests(uow: UnitOfWork, esc: Escalation, now: datetime) -> None:
    for request in uow.exceptions.of(esc.id):
        if request.decision is Decision.OPEN:
            uow.exceptions.update(
                request.decided(Decision.SUPERSEDED, SYSTEM.id, now, "a newer plan was made")
            )
            esc.record(now, SYSTEM.id, "exception_superseded", {"request": request.id})


def _release_ineligible_holds(uow: UnitOfWork, esc: Escalation, now: datetime, not_ready: bool) -> None:
    """Live holds on slots the new plan no longer allows are released at once (fail closed)."""
    plan = None if not_ready else uow.plans.latest(esc.id)
    allowed = {e.slot for e in eligible_slots(plan, uow.waivers.of(esc.id))} if plan else set()
    for hold in uow.holds.of(esc.id):
        if hold.status is HoldStatus.LIVE and hold.slot not in allowed:
            end_with_release(uow, esc, hold, HoldStatus.RELEASED, now, SYSTEM.id, "slot no longer compliant")
