"""The workflow commands on one escalation: holds (place, extend, release), review, confirm, exception
requests (raise, approve, reject) and cancel. Each parses, checks ``If-Match``, calls the same use case as the
CLI with the signed-in user (who keeps every gate: roles, own request, packet digest) and answers once per
``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from readout.domain.escalation import Escalation
from readout.entrypoints.http.conditions import check_if_match
from readout.entrypoints.http.escalations import PROBLEMS, EscalationId, IfMatch
from readout.entrypoints.http.idempotency import Attempt, Outcome, attempt, once
from readout.entrypoints.http.responses import (
    checked,
    deciders_view,
    deps_of,
    open_request_of,
    pending,
    tag_headers,
)
from readout.entrypoints.http.schemas import (
    ApproveBody,
    CancelBody,
    CancelOut,
    ConfirmBody,
    ConfirmOut,
    DecisionOut,
    EscalationOut,
    ExtendBody,
    HoldBody,
    HoldsOut,
    ReasonBody,
    ReleaseBody,
    ReviewBody,
    ReviewOut,
)
from readout.presentation import messages
from readout.services import queries
from readout.services.context import Deps
from readout.services.views import (
    effect_view,
    escalation_view,
    hold_view,
    request_view,
    review_view,
    waiver_view,
)

if TYPE_CHECKING:  # the use cases are imported when a command runs
    from readout.services.exceptions import DecisionOutcome
    from readout.services.holding import HoldOutcome

__all__ = ["router"]

router = APIRouter(prefix="/v1/escalations/{escalation_id}", tags=["workflow"])


def _command(
    request: Request, escalation_id: str, tried: Attempt, if_match: str | None, act: Callable[[Deps], Outcome]
) -> Response:
    """Once per key: check If-Match against the escalation as stored, run the command, tag the answer."""
    deps = deps_of(request)

    def run() -> Outcome:
        check_if_match(deps, escalation_id, if_match)
        done = act(deps)
        return Outcome(done.status, done.body, {**tag_headers(deps, escalation_id), **done.headers})

    return once(deps, tried, run)


def _holds(outcome: HoldOutcome) -> Outcome:
    data = {
        "escalation": escalation_view(outcome.escalation),
        "live": [hold_view(h) for h in outcome.live],
        "placed": [hold_view(h) for h in outcome.placed],
        "problem": outcome.problem,
        "effects": [effect_view(e) for e in outcome.effects],
        "effects_pending": pending(outcome.effects),
    }
    return Outcome(200, checked(HoldsOut, data))


@router.post(
    "/holds", response_model=HoldsOut, responses=PROBLEMS, summary="Place holds per the case's hold policy"
)
def place_holds(
    request: Request,
    escalation_id: EscalationId,
    body: Annotated[HoldBody | None, Body()] = None,
    tried: Attempt = Depends(attempt),  # noqa: B008 (FastAPI's idiom)
    if_match: IfMatch = None,
) -> Response:
    """Hold the best eligible slots spread over days (``holds.count`` live holds in all), or only the
    eligible slot starting at ``slot``; each expires after ``holds.ttl_hours``."""
    from readout.services import holding

    slot = body.slot if body else None
    return _command(
        request,
        escalation_id,
        tried,
        if_match,
        lambda deps: _holds(holding.hold_slots(deps, escalation_id, tried.user_id, slot)),
    )


@router.post("/holds/extend", response_model=HoldsOut, responses=PROBLEMS, summary="Extend the live holds")
def extend_holds(
    request: Request,
    escalation_id: EscalationId,
    body: Annotated[ExtendBody | None, Body()] = None,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Push every live hold's expiry to now + ``hours`` (default: the case's ``holds.ttl_hours``)."""
    from datetime import timedelta

    from readout.services import holding

    ttl = timedelta(hours=body.hours) if body and body.hours else None
    return _command(
        request,
        escalation_id,
        tried,
        if_match,
        lambda deps: _holds(holding.extend_holds(deps, escalation_id, tried.user_id, ttl)),
    )


@router.post("/holds/release", response_model=HoldsOut, responses=PROBLEMS, summary="Release live holds")
def release_holds(
    request: Request,
    escalation_id: EscalationId,
    body: Annotated[ReleaseBody | None, Body()] = None,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Release every live hold, or only the one at ``slot``."""
    from readout.services import holding

    slot = body.slot if body else None
    return _command(
        request,
        escalation_id,
        tried,
        if_match,
        lambda deps: _holds(holding.release_holds(deps, escalation_id, tried.user_id, slot)),
    )


@router.post(
    "/review", response_model=ReviewOut, responses=PROBLEMS, summary="Review a held slot's invite packet"
)
def review(
    request: Request,
    escalation_id: EscalationId,
    body: ReviewBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Select a held slot and prepare its invite packet (nothing is sent); confirm with ``packet_digest``."""
    from readout.services import confirmation

    def act(deps: Deps) -> Outcome:
        result = confirmation.review(deps, escalation_id, tried.user_id, body.slot)
        zones = queries.case_zones(deps, result.escalation.id)
        return Outcome(200, checked(ReviewOut, review_view(result, zones.contract if zones else None)))

    return _command(request, escalation_id, tried, if_match, act)


@router.post(
    "/confirm",
    response_model=ConfirmOut,
    responses=PROBLEMS
    | {409: {"description": "refused (a rule, or the fresh free/busy check): obstacles, next_steps"}},
    summary="Confirm the reviewed slot after a fresh free/busy check",
)
def confirm(
    request: Request,
    escalation_id: EscalationId,
    body: ConfirmBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Confirm what was reviewed (``packet_digest``: its first 8+ characters). A confirmation the fresh check
    refuses sends the escalation back to planning: 409 with ``obstacles`` and ``next_steps``."""
    from readout.services import confirmation

    def act(deps: Deps) -> Outcome:
        outcome = confirmation.confirm(deps, escalation_id, tried.user_id, body.packet_digest)
        if not outcome.confirmed:
            refusal = {
                "type": "https://readout.example/problems/not-confirmed",
                "title": "Not confirmed",
                "status": 409,
                "detail": outcome.reason,
                "escalation": checked_escalation(outcome.escalation),
                "obstacles": list(outcome.obstacles),
                "next_steps": list(outcome.next_steps),
            }
            return Outcome(409, refusal)
        invited = any(e.kind.value == "send_invitation" for e in outcome.effects)
        data = {
            "escalation": escalation_view(outcome.escalation),
            "confirmed": True,
            "packet": outcome.packet.as_dict() if outcome.packet else None,
            "invitation_sent": None if invited else False,
            "invitation_not_sent_reason": None if invited else messages.NO_RELAY,
            "effects": [effect_view(e) for e in outcome.effects],
            "effects_pending": pending(outcome.effects),
        }
        return Outcome(200, checked(ConfirmOut, data))

    return _command(request, escalation_id, tried, if_match, act)


def checked_escalation(esc: Escalation) -> dict[str, Any]:
    """The escalation view as its response model writes it."""
    return checked(EscalationOut, escalation_view(esc))


def _decision(deps: Deps, outcome: DecisionOutcome, status: int) -> Outcome:
    esc = outcome.plan.escalation if outcome.plan else outcome.escalation
    state = queries.escalation_status(deps, esc.id)
    data = {
        "escalation": escalation_view(esc),
        "request": request_view(outcome.request),
        "approves": outcome.approves or None,
        "recorded": [waiver_view(w) for w in outcome.recorded],
        "still_needed": list(outcome.still_needed),
        "open_request": open_request_of(state),
        "deciders": deciders_view(state.deciders),
        "plan": _plan_json(outcome),
    }
    return Outcome(status, checked(DecisionOut, data))


def _plan_json(outcome: DecisionOutcome) -> dict[str, Any] | None:
    from readout.adapters.plan_json import plan_to_json

    return plan_to_json(outcome.plan.planned.plan, None) if outcome.plan else None


@router.post(
    "/exceptions",
    status_code=201,
    response_model=DecisionOut,
    responses=PROBLEMS,
    summary="Ask support leadership to decide (e.g. replacing a role holder)",
)
def request_exception(
    request: Request,
    escalation_id: EscalationId,
    body: ReasonBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Raise an exception request routed to support leadership."""
    from readout.services import exceptions

    def act(deps: Deps) -> Outcome:
        outcome = exceptions.request_exception(deps, escalation_id, tried.user_id, body.reason)
        return _decision(deps, outcome, 201)

    return _command(request, escalation_id, tried, if_match, act)


@router.post(
    "/exceptions/approve",
    response_model=DecisionOut,
    responses=PROBLEMS,
    summary="Approve the open exception request (a near miss's waivers, or a replacement)",
)
def approve(
    request: Request,
    escalation_id: EscalationId,
    body: ApproveBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Waive the families of the near miss at ``slot`` that the user's roles may waive; support leadership
    may approve that slot (``customer_asked``) or a ``replacement`` (stored as the case's next version,
    then planned again: ``plan``)."""
    from readout.services import exceptions

    replacement = (body.replacement.role, body.replacement.person) if body.replacement else None

    def act(deps: Deps) -> Outcome:
        outcome = exceptions.approve(
            deps,
            escalation_id,
            tried.user_id,
            body.slot,
            body.reason,
            replacement=replacement,
            customer_asked=body.customer_asked,
        )
        return _decision(deps, outcome, 200)

    return _command(request, escalation_id, tried, if_match, act)


@router.post(
    "/exceptions/reject",
    response_model=DecisionOut,
    responses=PROBLEMS,
    summary="Reject the open exception request (it goes to support leadership)",
)
def reject(
    request: Request,
    escalation_id: EscalationId,
    body: ReasonBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Reject the open request; a rejected waiver request goes on to support leadership."""
    from readout.services import exceptions

    def act(deps: Deps) -> Outcome:
        return _decision(deps, exceptions.reject(deps, escalation_id, tried.user_id, body.reason), 200)

    return _command(request, escalation_id, tried, if_match, act)


@router.post(
    "/cancel",
    response_model=CancelOut,
    responses=PROBLEMS,
    summary="Cancel the readout and release its holds (withdraws a sent invitation)",
)
def cancel(
    request: Request,
    escalation_id: EscalationId,
    body: CancelBody,
    tried: Attempt = Depends(attempt),  # noqa: B008
    if_match: IfMatch = None,
) -> Response:
    """Cancel in Readout; ``cancellation_sent`` false when a confirmed readout's cancellation could not be
    sent (no relay): tell the attendees yourself."""
    from readout.services import confirmation

    def act(deps: Deps) -> Outcome:
        outcome = confirmation.cancel(deps, escalation_id, tried.user_id, body.reason)
        esc = outcome.escalation
        withdrawn = any(
            e.kind.value == "send_invitation" and e.payload.get("method") == "CANCEL" for e in outcome.effects
        )
        data = {
            "escalation": escalation_view(esc),
            "cancellation_sent": None if esc.confirmed_by is None else (None if withdrawn else False),
            "effects": [effect_view(e) for e in outcome.effects],
            "effects_pending": pending(outcome.effects),
        }
        return Outcome(200, checked(CancelOut, data))

    return _command(request, escalation_id, tried, if_match, act)
