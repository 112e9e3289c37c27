"""Exception requests in the web app: the list (``/approvals``: open first, "waiting on me") and one request's
page (``/approvals/{escalation_id}/{request_id}``): its causes, who may waive each (``queries.deciders``), the
near misses in every required attendee's own local time, the deadline, and the forms that approve a near miss
or reject the request (a reason is required).

Approving and rejecting call the same use cases as the API (``services.exceptions.approve`` and ``reject``),
which keep every gate: the duty manager waives coverage, the engineering manager or a program manager the
handoff window, support leadership decides what is routed to it, and nobody decides a request raised for
them. A refusal answers the request's page with the service's words and its status (403, 404, 409), nothing
changed (the refused attempt is recorded in the audit trail by the service). A deep link opened before
signing in returns here after sign-in (``signin.Viewer``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse

from readout.domain.exception_requests import Decision, ExceptionRequest, Route
from readout.domain.intervals import utc_text
from readout.domain.users import SYSTEM
from readout.entrypoints.http.auth import Principal, request_deps
from readout.entrypoints.web.actions import parse_start, refusal_flash, who_decides_next
from readout.entrypoints.web.flash import Flash
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.errors import NotFound, ReadoutError, Refused
from readout.presentation import messages, times
from readout.services import queries
from readout.services.context import Deps

__all__ = ["RequestRow", "render_approval", "router"]

router = APIRouter(include_in_schema=False)

EscalationPath = Annotated[str, Path(max_length=200)]
RequestPath = Annotated[int, Path(ge=1, le=2**62)]
_MAX_REASON = 2000  # as the API's Text


def _told(deps: Deps, new_request: bool = False) -> str:
    """Who was told of this decision: the leadership channel (a message queued: the worker delivers it), or,
    without a channel, the deciders of a new request by e-mail (decisions themselves are not e-mailed), or
    nobody."""
    if deps.channel is not None:
        return "A message to the leadership channel is queued: `readout worker` delivers it."
    if deps.notifier is not None and new_request:
        return "An e-mail to the users who may decide the new request is queued: `readout worker` sends it."
    return "Nobody has been notified of this decision. Tell them yourself."


@dataclass(frozen=True)
class RequestRow:
    """One exception request of the list, with its escalation's status."""

    request: ExceptionRequest
    status: queries.Status
    zone: str
    waiting_on_me: bool

    @property
    def href(self) -> str:
        return f"/approvals/{self.request.escalation_id}/{self.request.id}"


def _zone(status: queries.Status) -> str:
    return status.zones.contract if status.zones else "UTC"


def _is_open(status: queries.Status, request: ExceptionRequest) -> bool:
    """Whether ``request`` is the escalation's open request (the one ``status.deciders`` is about)."""
    latest = next((r for r in reversed(status.requests) if r.decision is Decision.OPEN), None)
    return latest is not None and latest.id == request.id


def _may_decide(status: queries.Status, request: ExceptionRequest, user_id: str) -> bool:
    """Whether the service's list of deciders of the open request names ``user_id``."""
    return _is_open(status, request) and any(user_id in dict(g.users) for g in status.deciders)


def _requester(request: ExceptionRequest) -> str:
    if request.requested_by == SYSTEM.id:
        return "Readout, when a plan found no compliant slot"
    return request.requested_by


@router.get("/approvals", response_class=HTMLResponse)
def approvals(
    request: Request,
    who: Viewer,
    mine: Annotated[bool, Query()] = False,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "all",
) -> HTMLResponse:
    """Every exception request: open ones first (oldest first), then decided ones (newest first)."""
    deps = request_deps(request)
    rows = []
    for item in queries.escalation_listing(deps):
        status = queries.escalation_status(deps, item.escalation.id)
        for r in status.requests:
            rows.append(RequestRow(r, status, _zone(status), _may_decide(status, r, who.user.id)))
    if show == "open":
        rows = [r for r in rows if r.request.decision is Decision.OPEN]
    if mine:
        rows = [r for r in rows if r.waiting_on_me]
    opened = sorted(
        (r for r in rows if r.request.decision is Decision.OPEN), key=lambda r: r.request.requested_at
    )
    decided = sorted(
        (r for r in rows if r.request.decision is not Decision.OPEN),
        key=lambda r: r.request.decided_at or r.request.requested_at,
        reverse=True,
    )
    context = {
        "rows": [*opened, *decided],
        "now": deps.clock(),
        "filters": {"mine": mine, "show": show},
        "who_decides": lambda row: (
            who_decides_next(row.status.deciders) if _is_open(row.status, row.request) else ""
        ),
        "requester": _requester,
    }
    return page(request, "approvals.html", context)


def render_approval(
    request: Request,
    who: Principal,
    escalation_id: str,
    request_id: int,
    flash: Flash | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One exception request's page for ``who`` (with ``flash`` after a decision); NotFound (a 404 page)
    when the escalation has no such request."""
    deps = request_deps(request)
    status = queries.escalation_status(deps, escalation_id)
    found = next((r for r in status.requests if r.id == request_id), None)
    if found is None:
        raise NotFound(f"{escalation_id} has no exception request #{request_id}")
    zone = _zone(status)
    attendees = list(status.zones.roles.items()) if status.zones else []
    granted: dict[datetime, list[str]] = {}
    for w in status.waivers:
        if w.request_id == found.id:
            granted.setdefault(w.slot.start, []).append(f"{w.family} waived by {w.approved_by}")
    options = [
        {
            "start": utc_text(o.slot.start),
            "label": times.slot(o.slot.start, o.slot.end, zone),
            "waivers": ", ".join(o.waivers) or "none (support leadership approves the slot)",
            "granted": "; ".join(granted.get(o.slot.start, [])),
            "local": [
                times.person_span(o.slot.start, o.slot.end, a.zone, zone, with_city=False)
                for _, a in attendees
            ],
        }
        for o in found.options
    ]
    is_open = _is_open(status, found)
    context: dict[str, Any] = {
        "flash": flash,
        "esc": status.escalation,
        "r": found,
        "zone": zone,
        "city": times.city(zone),
        "deadline": times.deadline(found.deadline, zone) if found.deadline else "none",
        "requester": _requester(found),
        "route": found.route.value.replace("_", " "),
        "is_open": is_open,
        "who_decides": messages.who_decides(status.deciders) if is_open else (),
        "may_decide": _may_decide(status, found, who.user.id),
        "leadership": found.route is Route.SUPPORT_LEADERSHIP,
        "attendees": [
            {"role": role.replace("_", " "), "name": a.name, "city": times.city(a.zone)}
            for role, a in attendees
        ],
        "options": options,
        "writes": "write" in who.scopes,
        "now": deps.clock(),
    }
    return page(request, "approval.html", context, status_code)


@router.get("/approvals/{escalation_id}/{request_id}", response_class=HTMLResponse)
def approval(
    request: Request, escalation_id: EscalationPath, request_id: RequestPath, who: Viewer
) -> HTMLResponse:
    """One exception request: causes, who may decide, near misses in every attendee's time, deadline."""
    return render_approval(request, who, escalation_id, request_id)


class _BadForm(Refused):
    """A form value missing or unreadable (422); nothing was asked of the service."""


def _reason(text: str, what: str) -> str:
    if not text.strip():
        raise _BadForm(f"{what} needs a reason: say why")
    if len(text) > _MAX_REASON:
        raise _BadForm(f"the reason is longer than {_MAX_REASON} characters")
    return text.strip()


def _decide(
    request: Request,
    who: Principal,
    escalation_id: str,
    request_id: int,
    what: str,
    act: Callable[[], Flash],
) -> HTMLResponse:
    """Run a decision; a refusal answers the request's page with the service's words and status."""
    flash: Flash
    if "write" not in who.scopes:
        flash = Flash("error", f"{what} refused: this {who.via} may only read", next="Nothing was changed.")
        return render_approval(request, who, escalation_id, request_id, flash, 403)
    try:
        flash = act()
    except _BadForm as error:
        flash = Flash("error", f"{what} refused: {error}", (), (), "Nothing was changed.")
        return render_approval(request, who, escalation_id, request_id, flash, 422)
    except ReadoutError as error:
        flash, status = refusal_flash(error, what, audited=True)
        return render_approval(request, who, escalation_id, request_id, flash, status)
    return render_approval(request, who, escalation_id, request_id, flash)


def _check_request(deps: Any, escalation_id: str, request_id: int) -> None:
    """The request must be the escalation's open one: a decision posted from a stale page is refused."""
    status = queries.escalation_status(deps, escalation_id)
    found = next((r for r in status.requests if r.id == request_id), None)
    if found is None:
        raise NotFound(f"{escalation_id} has no exception request #{request_id}")
    if not _is_open(status, found):
        raise Refused(
            f"exception request #{request_id} is {found.decision.value}, not open: nothing to decide on it"
        )


@router.post("/approvals/{escalation_id}/{request_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    escalation_id: EscalationPath,
    request_id: RequestPath,
    who: Viewer,
    slot: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    customer_asked: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Approve the near miss at ``slot`` (the waivers the user's roles may give; the service decides)."""
    from readout.services import exceptions

    deps = request_deps(request)

    def act() -> Flash:
        if not slot.strip():
            raise _BadForm("choose the near miss to approve")
        start = parse_start(slot)
        why = _reason(reason, "an approval")
        _check_request(deps, escalation_id, request_id)
        outcome = exceptions.approve(
            deps, escalation_id, who.user.id, start, why, customer_asked=bool(customer_asked)
        )
        zone = _zone(queries.escalation_status(deps, escalation_id))
        recorded = tuple(
            f"Waiver recorded: {w.family} for {times.slot(w.slot.start, w.slot.end, zone)} by {who.user.name}"
            for w in outcome.recorded
        )
        page_link = f"/escalations/{escalation_id}"
        if outcome.still_needed:
            groups = queries.deciders(deps, escalation_id)
            return Flash(
                "ok",
                f"Waiver recorded; the slot still needs: {', '.join(outcome.still_needed)}. "
                f"Request #{request_id} stays open.",
                (),
                (*recorded, _told(deps)),
                f"{who_decides_next(groups)}: decide the rest on this page.",
            )
        return Flash(
            "ok",
            f"Exception request #{request_id} approved: {outcome.approves}.",
            (),
            (*recorded, f"Nothing is held or sent yet. {_told(deps)}"),
            f"A program manager or escalation manager: hold the approved slot on {page_link}.",
        )

    return _decide(request, who, escalation_id, request_id, "Approval", act)


@router.post("/approvals/{escalation_id}/{request_id}/reject", response_class=HTMLResponse)
def reject(
    request: Request,
    escalation_id: EscalationPath,
    request_id: RequestPath,
    who: Viewer,
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Reject the request (a reason is required); a rejected waiver request goes on to support leadership."""
    from readout.services import exceptions

    deps = request_deps(request)

    def act() -> Flash:
        why = _reason(reason, "a rejection")
        _check_request(deps, escalation_id, request_id)
        outcome = exceptions.reject(deps, escalation_id, who.user.id, why)
        status = queries.escalation_status(deps, escalation_id)
        waiting = next((r for r in reversed(status.requests) if r.decision is Decision.OPEN), None)
        headline = f"Exception request #{request_id} rejected by {who.user.name}: {why}."
        if waiting is not None:
            link = f"/approvals/{escalation_id}/{waiting.id}"
            return Flash(
                "ok",
                headline,
                (),
                (
                    f"Readout opened request #{waiting.id} for support leadership ({link}).",
                    _told(deps, new_request=True),
                ),
                f"{who_decides_next(status.deciders)}: decide request #{waiting.id} ({link}).",
            )
        state = outcome.escalation.state.value.replace("_", " ")
        return Flash(
            "ok",
            headline,
            (),
            (f"The escalation is now {state}.", _told(deps)),
            "Support leadership: escalate, or change the case and plan again.",
        )

    return _decide(request, who, escalation_id, request_id, "Rejection", act)
