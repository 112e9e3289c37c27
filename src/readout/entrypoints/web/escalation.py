"""An escalation's page (``/escalations/{id}``): the deadline with its working, not-ready reasons, the
availability grid, the ranked candidates and near misses, the actions (``actions``) and the customer's pick
links (``pick``); and ``POST /escalations/{id}/plan``, planning again (the API's ``POST
/v1/escalations/{id}/plan``, the same service and gates).

The page writes nothing: it shows a fresh, read-only plan of the stored case (``services.availability``), so
its compliant columns are the plan's candidates and its near-miss columns the plan's near misses. When that
plan's candidates differ from the last recorded plan's, the page says so and offers to plan again.

The grid's labels are in a zone the viewer picks (``zone``): the contract zone (the default), an
attendee's, UTC, or the browser's (``zone=browser`` with ``browser_zone``, filled in by ``grid.js`` from
``Intl.DateTimeFormat().resolvedOptions().timeZone``); a name that is not an IANA zone is said to be so, and
the grid is shown in the contract zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from readout.domain.case import Case
from readout.domain.diagnosis import missing_role_holders
from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.lifecycle import Action, IllegalTransition, next_state
from readout.domain.names import ROLES, WAIVER_AUTHORITY
from readout.domain.plan import PlanStatus
from readout.entrypoints.explanations import role_holder_text
from readout.entrypoints.http.auth import Principal, request_deps
from readout.entrypoints.web import actions as actions_page
from readout.entrypoints.web import pick as pick_page
from readout.entrypoints.web.board import next_step
from readout.entrypoints.web.flash import Flash
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.errors import PermissionDenied
from readout.presentation import grid as grids
from readout.presentation.times import city, day_name, zone_of
from readout.services import availability as availability_service
from readout.services.queries import Status, escalation_status
from readout.services.views import effect_sentence

__all__ = ["render_escalation", "router"]

router = APIRouter(include_in_schema=False)

BROWSER = "browser"
_NOT_READY_TEXT = {
    "RCA_NOT_APPROVED": "the customer-safe RCA draft is not approved yet",
    "ROLE_UNASSIGNED": "a required role is not assigned (or names nobody in people)",
}
_NEAR_MISSES_SHOWN = 20


@dataclass(frozen=True)
class Attending:
    """One attendee of a slot as the candidates list shows them: name, what they are there as, their zone."""

    name: str
    role: str
    zone: str


@dataclass(frozen=True)
class ZoneChoice:
    value: str
    label: str


def _attending(case: Case, interpreter: str | None) -> tuple[Attending, ...]:
    """Everyone a slot brings together: the role holders (one line per person), the slot's interpreter and
    the optional attendees (marked)."""
    holders: dict[str, list[str]] = {}
    for role in ROLES:
        holders.setdefault(case.roles[role] or "", []).append(role.replace("_", " "))
    out = [Attending(case.people[p].name, ", ".join(r), case.people[p].zone.key) for p, r in holders.items()]
    interp = next((i for i in case.interpreters if i.id == interpreter), None)
    if interp is not None:
        out.append(Attending(interp.name, "interpreter", interp.zone.key))
    for pid in case.optional_attendees:
        if pid in case.people:
            person = case.people[pid]
            out.append(Attending(person.name, "optional attendee", person.zone.key))
    return tuple(out)


def _zone_choices(case: Case) -> list[ZoneChoice]:
    """Contract zone first, then each attendee's zone (with who is there), UTC, and the browser's."""
    contract = case.business_zone.key
    choices = [ZoneChoice(contract, f"Contract zone: {city(contract)}")]
    by_zone: dict[str, list[str]] = {}
    people = [case.people[p] for p in dict.fromkeys(case.roles[r] or "" for r in ROLES) if p in case.people]
    people += [case.people[p] for p in case.optional_attendees if p in case.people]
    for person in people:
        by_zone.setdefault(person.zone.key, []).append(person.name)
    for interp in case.interpreters:
        if case.readout.language and interp.qualifies(case.readout.language, case.customer_id):
            by_zone.setdefault(interp.zone.key, []).append(interp.name)
    for key, names in by_zone.items():
        if key == contract:  # one option per zone: the contract zone's names who is there too
            choices[0] = ZoneChoice(contract, f"Contract zone: {city(contract)} ({', '.join(names)})")
        else:
            choices.append(ZoneChoice(key, f"{city(key)}: {', '.join(names)}"))
    if all(c.value != "UTC" for c in choices):
        choices.append(ZoneChoice("UTC", "UTC"))
    choices.append(ZoneChoice(BROWSER, "This browser's time zone"))
    return choices


def _chosen_zone(case: Case, zone: str, browser_zone: str) -> tuple[str, str, str]:
    """(the zone to label the grid in, the choice to show selected, a note when the choice was not usable)."""
    contract = case.business_zone.key
    if not zone:
        return contract, contract, ""
    wanted = browser_zone if zone == BROWSER else zone
    if zone == BROWSER and not browser_zone:
        return (
            contract,
            BROWSER,
            "This browser did not say its time zone (scripts off?): shown in the contract zone.",
        )
    found = grids.known_zone(wanted)
    if found is None:
        shown = wanted[:64]
        return (
            contract,
            contract,
            f"{shown!r} is not a time zone this server knows: shown in the contract zone.",
        )
    return found.key, zone, ""


def _not_ready(case: Case, reasons: tuple[str, ...]) -> list[str]:
    missing = {m.role: m for m in missing_role_holders(case)}
    out = []
    for reason in reasons:
        code, _, role = reason.partition(":")
        text = role_holder_text(missing[role], case) if role in missing else _NOT_READY_TEXT.get(code, reason)
        out.append(f"{reason}: {text}")
    return out


def _live_holds(holds: Iterable[Hold], now: datetime) -> list[Interval]:
    return [h.slot for h in holds if h.status is HoldStatus.LIVE and h.expires_at > now]


def _replannable(status: Status) -> bool:
    """Whether the escalation's state allows planning again (not confirmed, cancelled, and so on)."""
    try:
        next_state(status.escalation.state, Action.PLAN)
    except IllegalTransition:
        return False
    return True


def render_escalation(
    request: Request, who: Principal, escalation_id: str, flash: Flash | None = None, status_code: int = 200
) -> HTMLResponse:
    """The escalation's page for ``who``, with ``flash`` at the top (after an action). The grid's zone is
    read from the request's query (``zone``, ``browser_zone``), else the contract zone."""
    deps = request_deps(request)
    now = deps.clock()
    seen = availability_service.availability(deps, escalation_id)
    case, plan = seen.case, seen.plan
    contract = case.business_zone.key
    zone_key, selected, zone_note = _chosen_zone(
        case,
        request.query_params.get("zone", "")[:80],
        request.query_params.get("browser_zone", "")[:80],
    )
    held = _live_holds(seen.status.holds, now)
    grid = None
    if seen.grid is not None:
        grid = grids.build_grid(case, plan, seen.grid, held, zone_of(zone_key))
    held_starts = {h.start for h in held}
    candidates = [
        {"rank": n, "c": c, "held": c.start in held_starts, "attending": _attending(case, c.interpreter)}
        for n, c in enumerate(plan.candidates, 1)
    ]
    near = [
        {
            "m": m,
            "held": m.start in held_starts,
            "waivers": [(w, WAIVER_AUTHORITY.get(w, "support leadership")) for w in m.waivers],
            "attending": _attending(case, m.interpreter),
        }
        for m in plan.near_misses[:_NEAR_MISSES_SHOWN]
    ]
    status = seen.status
    names = {p.id: p.name for p in case.people.values()} | {i.id: i.name for i in case.interpreters}
    context = {
        "outstanding": [(e.status.value, effect_sentence(e)) for e in status.effects],
        "esc": status.escalation,
        "status": status,
        "seen": seen,
        "replannable": _replannable(status),
        "case": case,
        "plan": plan,
        "ready": plan.status is PlanStatus.READY,
        "contract": contract,
        "now": now,
        "grid": grid,
        "cell_text": grids.CELL_TEXT,
        "runs": grids.runs,
        "zone_key": zone_key,
        "zone_city": city(zone_key),
        "zone_choices": _zone_choices(case),
        "zone_selected": selected,
        "zone_note": zone_note,
        "candidates": candidates,
        "near_misses": near,
        "near_total": len(plan.near_misses),
        "not_ready": _not_ready(case, plan.not_ready),
        "step": next_step(status),
        "names": names,
        "day_name": day_name,
        "flash": flash,
        "actions": actions_page.actions_context(request, who, status),
        "pick": pick_page.pick_context(request, who, status),
    }
    return page(request, "escalation.html", context, status_code)


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
def escalation_page(
    request: Request,
    who: Viewer,
    escalation_id: str,
    zone: Annotated[str, Query(max_length=80)] = "",
    browser_zone: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """The escalation's page; nothing is written (a fresh plan is made and shown, not recorded)."""
    del zone, browser_zone  # read by render_escalation from the query (validated there)
    return render_escalation(request, who, escalation_id)


@router.post("/escalations/{escalation_id}/plan", response_class=HTMLResponse)
def plan_again(
    request: Request,
    who: Viewer,
    escalation_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Plan again from the stored case, reading the calendars again (``readout plan ESC``, the API's
    ``POST /v1/escalations/{id}/plan``): the same service, permission and lifecycle check."""
    from readout.services.escalations import plan_escalation

    if "write" not in who.scopes:
        raise PermissionDenied(f"this {who.via} may only read: planning again needs the scope 'write'")
    outcome = plan_escalation(
        request_deps(request), escalation_id, who.user.id, reason.strip() or "re-plan requested (web)"
    )
    plan = outcome.planned.plan
    if plan.status is PlanStatus.READY:
        headline = (
            f"Planned again: {len(plan.candidates)} compliant slot{'s' if len(plan.candidates) != 1 else ''}"
        )
    elif plan.status is PlanStatus.NOT_READY:
        headline = "Planned again: not ready"
    else:
        headline = f"Planned again: no compliant slot; {len(plan.near_misses)} near misses"
    recorded = ["the new plan, in the audit trail (no calendar was written, nobody was mailed)"]
    if outcome.request is not None:
        route = outcome.request.route.value.replace("_", " ")
        recorded.append(
            f"exception request {outcome.request.id} opened ({route}); the approvers see it on their "
            "Approvals page"
        )
    step = next_step(escalation_status(request_deps(request), escalation_id))
    flash = Flash("ok", headline, (), tuple(recorded), f"{step.who}: {step.what}")
    return render_escalation(request, who, escalation_id, flash)
