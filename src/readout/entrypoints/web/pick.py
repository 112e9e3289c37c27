"""The customer's pick link (issue 13, item 5): the part of an escalation's page that creates, lists and
revokes links and shows the customer's answer (``pick_context`` for ``templates/escalation/_pick.html``), and
the public page the link opens (``/pick/{token}``, ``templates/pick.html``).

The public page needs no account and no session: the token in its path is the credential (only its SHA-256 is
stored; ``services.pick_links``). It shows the purpose, the roles invited and the options held now, in the
customer's incident manager's time zone (another may be chosen), and takes one answer: an option, or none
works, with an optional note. ``GET`` only reads (a mail client may open the link before the person does);
the answer is a plain form ``POST``. Creating shows the link's URL once, on the escalation page, and says it
was sent to nobody. Every gate is the service's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from readout.domain.pick_links import DEFAULT_TTL, MAX_NOTE, MAX_TTL, Answer, LinkState, PickLink
from readout.domain.users import Permission, may
from readout.entrypoints.http.auth import Principal, own_origin, request_deps
from readout.entrypoints.web.actions import parse_start, refusal_flash
from readout.entrypoints.web.flash import Flash
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.errors import ReadoutError, Refused
from readout.presentation import times
from readout.services import pick_links, queries
from readout.services.queries import Status

__all__ = ["pick_context", "router"]

router = APIRouter(include_in_schema=False)

EscalationPath = Annotated[str, Path(max_length=200)]
LinkPath = Annotated[str, Path(max_length=40)]
_CONTACT = "customer_incident_manager"
_COORDINATORS = "A program manager or escalation manager"
_MAX_ZONE = 80
_ROLE_WORDS = {
    "escalation_manager": "escalation manager (provider)",
    "fix_owner": "engineer who owns the fix (provider)",
    "customer_success_director": "customer success director (provider)",
    "customer_incident_manager": "your incident manager",
    "interpreter": "interpreter",
}


# ------------------------------------------------------------------------------ on the escalation page


def _hours(ttl: timedelta) -> int:
    return int(ttl.total_seconds() // 3600)


def _answer_words(link: PickLink, zone: str, contact_zone: str | None) -> str:
    """What the customer answered, in the contract zone (and the contact's own time when it differs)."""
    if link.answer is Answer.DECLINED:
        return "none of the held times works"
    if link.picked is None:
        return ""
    words = f"picked {times.slot(link.picked.start, link.picked.end, zone)}"
    if contact_zone and times.city(contact_zone) != times.city(zone):
        words += (
            f"; their own time: {times.person_span(link.picked.start, link.picked.end, contact_zone, zone)}"
        )
    return words


def pick_context(request: Request, who: Principal, status: Status) -> dict[str, Any]:
    """What ``escalation/_pick.html`` shows for ``who`` on this escalation: the form that creates a link (for
    a coordinator, with live holds), the links with their state, the customer's answers, and the URL of a
    link created by this very request (shown once)."""
    deps = request_deps(request)
    now = deps.clock()
    esc = status.escalation
    zone = status.zones.contract if status.zones else "UTC"
    contact = status.zones.of(_CONTACT) if status.zones else None
    held = {h.slot for h in status.holds if h.is_live(now)}
    live = len(held)
    coordinator = may(who.user, Permission.HOLD) and "write" in who.scopes
    links = pick_links.links_of(deps, esc.id)
    rows = [
        {
            "id": link.id,
            "state": link.state(now).value,
            "created": times.instant(link.created_at, zone),
            "created_by": link.created_by,
            "expires": times.instant(link.expires_at, zone),
            "left": _left(link.expires_at, now),
            "answer": _answer_words(link, zone, contact.zone if contact else None),
            "answered": times.instant(link.answered_at, zone) if link.answered_at else "",
            "note": link.note,
            "still_held": link.picked in held if link.picked is not None else None,
            "revocable": coordinator and link.state(now) is LinkState.OPEN,
        }
        for link in reversed(links)  # newest first
    ]
    return {
        "escalation_id": esc.id,
        "zone": zone,
        "city": times.city(zone),
        "contact": contact.name if contact else "the customer's incident manager",
        "contact_city": times.city(contact.zone) if contact else "",
        "coordinator": coordinator,
        "may_create": coordinator and not esc.is_final and live > 0,
        "final": esc.is_final,
        "live": live,
        "links": rows,
        "answers": [r for r in rows if r["answer"]],
        "created": getattr(request.state, "pick_created", None),
        "default_hours": _hours(DEFAULT_TTL),
        "max_hours": _hours(MAX_TTL),
    }


def _left(moment: datetime, now: datetime) -> str:
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return ""
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    return f"{days} d {hours} h left" if days else f"{hours} h {(seconds % 3600) // 60} min left"


def _answer_page(
    request: Request, who: Principal, escalation_id: str, flash: Flash, status: int
) -> HTMLResponse:
    from readout.entrypoints.web.escalation import render_escalation

    return render_escalation(request, who, escalation_id, flash, status)


class _BadHours(Refused):
    """The form's hours are not a whole number in range (nothing was asked of the service)."""


def _ttl(hours: str) -> timedelta:
    given = hours.strip()
    if not given:
        return DEFAULT_TTL
    limit = _hours(MAX_TTL)
    if not given.isdigit() or not 1 <= int(given) <= limit:
        raise _BadHours(f"a pick link lives from 1 to {limit} hours (14 days), not {given[:20]!r}")
    return timedelta(hours=int(given))


@router.post("/escalations/{escalation_id}/pick-links", response_class=HTMLResponse)
def create(
    request: Request, escalation_id: EscalationPath, who: Viewer, hours: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Create a pick link for the live holds; the escalation page shows its URL this once."""
    deps = request_deps(request)
    if "write" not in who.scopes:
        flash = Flash(
            "error", f"Pick link refused: this {who.via} may only read", next="Nothing was changed."
        )
        return _answer_page(request, who, escalation_id, flash, 403)
    try:
        created = pick_links.create_link(deps, escalation_id, who.user.id, _ttl(hours))
    except ReadoutError as error:
        flash, status = refusal_flash(error, "Pick link")
        if isinstance(error, _BadHours):
            flash, status = Flash("error", f"Pick link refused: {error}", next="Nothing was changed."), 422
        return _answer_page(request, who, escalation_id, flash, status)
    link = created.link
    zones = queries.case_zones(deps, escalation_id)
    zone = zones.contract if zones else "UTC"
    contact = zones.of(_CONTACT) if zones else None
    to = f"{contact.name} (the customer's incident manager)" if contact else "the customer's incident manager"
    request.state.pick_created = {
        "id": link.id,
        "url": f"{own_origin(request)}/pick/{created.token}",
        "expires": times.instant(link.expires_at, zone),
    }
    flash = Flash(
        "warn",
        f"Pick link {link.id} created for {escalation_id}. It was NOT sent to anyone: copy it now, it is "
        "shown only this once.",
        (f"The link is valid until {times.instant(link.expires_at, zone)} and accepts one answer.",),
        ("Recorded in the escalation's audit trail (only a digest of the link is stored).",),
        f"{who.user.name}: send the link to {to} yourself. When they answer, their pick shows here; "
        f"{_COORDINATORS.lower()} still reviews and confirms.",
    )
    return _answer_page(request, who, escalation_id, flash, 200)


@router.post("/escalations/{escalation_id}/pick-links/{link_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, escalation_id: EscalationPath, link_id: LinkPath, who: Viewer) -> HTMLResponse:
    """Revoke an open pick link: it accepts nothing more."""
    deps = request_deps(request)
    if "write" not in who.scopes:
        flash = Flash("error", f"Revoke refused: this {who.via} may only read", next="Nothing was changed.")
        return _answer_page(request, who, escalation_id, flash, 403)
    try:
        link = pick_links.revoke_link(deps, escalation_id, link_id, who.user.id)
    except ReadoutError as error:
        flash, status = refusal_flash(error, "Revoke")
        return _answer_page(request, who, escalation_id, flash, status)
    flash = Flash(
        "ok",
        f"Pick link {link.id} revoked: it accepts nothing more and says so when opened.",
        (),
        ("Recorded in the escalation's audit trail. The customer was not told.",),
        f"{_COORDINATORS}: if the customer should still pick, create a new link and send it to them.",
    )
    return _answer_page(request, who, escalation_id, flash, 200)


# ------------------------------------------------------------------------------------- the public page


def _shown_zone(view: pick_links.PublicView, asked: str) -> tuple[str, str | None]:
    """The zone to show times in (the contact's unless another known zone is asked for) and a note when the
    asked one is not a zone."""
    asked = asked.strip()[:_MAX_ZONE]
    if not asked:
        return view.zone, None
    if asked in available_timezones():
        return asked, None
    return view.zone, f"{asked!r} is not a time zone name we know: times are shown in {view.zone}."


def _zone_choices(view: pick_links.PublicView, shown: str) -> list[dict[str, Any]]:
    keys = dict.fromkeys([view.zone, view.contract_zone, "UTC", shown])
    labels = {"UTC": "UTC", view.contract_zone: "the contract's time zone", view.zone: "your time zone"}
    return [
        {"key": k, "label": f"{times.city(k)} ({labels.get(k, 'chosen')}, {k})", "selected": k == shown}
        for k in keys
    ]


def _public(
    request: Request,
    token: str,
    view: pick_links.PublicView | None,
    zone: str = "",
    flash: Flash | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {"view": None, "flash": flash, "token": token, "max_note": MAX_NOTE}
    if view is not None:
        shown, zone_note = _shown_zone(view, zone)
        link = view.link
        context.update(
            {
                "view": view,
                "state": view.state.value,
                "zone": shown,
                "city": times.city(shown),
                "zone_note": zone_note,
                "zones": _zone_choices(view, shown),
                "roles": [_ROLE_WORDS.get(r, r.replace("_", " ")) for r in view.roles],
                "options": [
                    {"start": o.start, "label": times.slot(o.start, o.end, shown)} for o in view.options
                ],
                "expires": times.instant(link.expires_at, shown),
                "answered": times.instant(link.answered_at, shown) if link.answered_at else "",
                "picked": times.slot(link.picked.start, link.picked.end, shown) if link.picked else "",
                "declined": link.answer is Answer.DECLINED,
                "revoked": times.instant(link.revoked_at, shown) if link.revoked_at else "",
            }
        )
    response = page(request, "pick.html", context, status)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.get("/pick/{token}", response_class=HTMLResponse)
def public_page(request: Request, token: str, zone: str = "") -> HTMLResponse:
    """The customer's page: the purpose, the roles invited and the held options (reads only)."""
    try:
        view = pick_links.view_link(request_deps(request), token)
    except pick_links.NotAValidLink:
        return _public(request, "", None, status=404)
    return _public(request, token, view, zone)


@router.post("/pick/{token}", response_class=HTMLResponse)
def public_answer(
    request: Request,
    token: str,
    choice: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE * 4)] = "",
    zone: Annotated[str, Form(max_length=_MAX_ZONE)] = "",
) -> HTMLResponse:
    """Record the customer's one answer: a held option's start, or ``none``; with an optional note."""
    deps = request_deps(request)
    try:
        if not choice.strip():
            raise Refused("choose one of the times, or that none of them works")
        start = None if choice.strip() == "none" else parse_start(choice)
        link = pick_links.answer_link(deps, token, start, note)
    except pick_links.NotAValidLink:
        return _public(request, "", None, status=404)
    except pick_links.LinkClosed:
        return _public(request, token, pick_links.view_link(deps, token), zone, status=409)
    except ReadoutError as error:
        flash = Flash(
            "error", f"Your answer was not recorded: {error}", next="Nothing was changed: try again."
        )
        return _public(request, token, pick_links.view_link(deps, token), zone, flash, 422)
    answered = pick_links.view_link(deps, token)
    shown = _shown_zone(answered, zone)[0]
    if link.picked is not None:
        what = f"your pick: {times.slot(link.picked.start, link.picked.end, shown)}"
    else:
        what = "that none of these times works"
    flash = Flash(
        "ok",
        "Thank you: your answer is recorded.",
        (f"Recorded {what}{' and your note' if link.note else ''}.",),
        ("Nothing is booked yet and no invitation was sent by this page.",),
        "Your provider's readout coordinator confirms a time; the invitation comes from them.",
    )
    return _public(request, token, answered, zone, flash)
