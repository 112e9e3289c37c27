"""The actions on an escalation's page: hold (the best slots spread over days, or one chosen slot), extend and
release the live holds, review a held slot's invite packet (its own page, ``review.html``), confirm the
reviewed packet, and request an exception with a reason.

Each form posts to a route here that calls the same use case as the API (``entrypoints/http/commands.py``)
and the CLI with the signed-in user, so every gate (roles, state, own request, packet digest) and the fresh
free/busy re-check are the service's. The answer is the escalation page (``render_escalation``) with a message
saying what was done, what was only recorded, and who must act next; a refusal answers the same page with the
service's words and its status (403, 404, 409, 422), nothing changed.

``actions_context`` is what the partial ``templates/escalation/_actions.html`` shows: only the actions the
escalation's state (``domain/lifecycle.py``) and the viewer's roles allow, which is a courtesy: the service
decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from readout.domain.effects import Effect
from readout.domain.eligibility import eligible_slots
from readout.domain.exception_requests import Decision
from readout.domain.holds import Hold
from readout.domain.intervals import utc_text
from readout.domain.lifecycle import TRANSITIONS, Action
from readout.domain.users import Permission, User, may
from readout.entrypoints.http.auth import Principal, request_deps
from readout.entrypoints.http.problems import classify
from readout.entrypoints.web.flash import Flash
from readout.entrypoints.web.signin import Viewer
from readout.entrypoints.web.templating import page
from readout.errors import ReadoutError, Refused
from readout.presentation import messages, times
from readout.services import queries
from readout.services.queries import Status
from readout.services.views import effect_sentence, effects_pending, hold_view, hold_where

if TYPE_CHECKING:
    from readout.services.confirmation import ConfirmOutcome
    from readout.services.holding import HoldOutcome

__all__ = [
    "actions_context",
    "confirm_flash",
    "effect_lines",
    "parse_start",
    "refusal_flash",
    "router",
    "who_decides_next",
]

router = APIRouter(include_in_schema=False)

EscalationPath = Annotated[str, Path(max_length=200)]
_COORDINATORS = "A program manager or escalation manager"
_MAX_HOURS = 24 * 30  # as the API's ExtendBody
_MAX_REASON = 2000  # as the API's Text


@dataclass(frozen=True)
class SlotChoice:
    """A slot offered in a select: its UTC start (the value posted) and how it reads."""

    start: str
    label: str


def _allows(status: Status, action: Action) -> bool:
    return (status.escalation.state, action) in TRANSITIONS


def _zone(status: Status) -> str:
    return status.zones.contract if status.zones else "UTC"


def _slot_label(start: datetime, end: datetime, zone: str, waivers: Sequence[str] = ()) -> str:
    waived = f" (approved near miss: {', '.join(waivers)} waived)" if waivers else ""
    return f"{times.slot(start, end, zone)}{waived}"


def actions_context(request: Request, who: Principal, status: Status) -> dict[str, Any]:
    """What ``escalation/_actions.html`` shows for ``who`` on this escalation: the forms the state allows,
    the eligible slots to hold, the live holds to review, extend or release, the review under way, and the
    open exception request's page."""
    deps = request_deps(request)
    now = deps.clock()
    esc, zone, user = status.escalation, _zone(status), who.user
    eligible = eligible_slots(status.plan, list(status.waivers)) if status.plan else []
    live = sorted((h for h in status.holds if h.is_live(now)), key=lambda h: h.slot.start)
    eligible_starts = {e.slot.start for e in eligible}
    holding = may(user, Permission.HOLD)
    open_request = next((r for r in reversed(status.requests) if r.decision is Decision.OPEN), None)
    review = None
    if esc.review_slot is not None and esc.packet_digest:
        review = {
            "slot": times.slot(esc.review_slot.start, esc.review_slot.end, zone),
            "start": utc_text(esc.review_slot.start),
            "digest": esc.packet_digest[:12],
        }
    return {
        "escalation_id": esc.id,
        "state": esc.state.value,
        "zone": zone,
        "city": times.city(zone),
        "writes": "write" in who.scopes,
        "hold": _allows(status, Action.HOLD) and holding,
        "review": _allows(status, Action.REVIEW) and may(user, Permission.REVIEW),
        "request_exception": _allows(status, Action.REQUEST_EXCEPTION)
        and may(user, Permission.REQUEST_EXCEPTION),
        "manage_holds": bool(live) and holding,
        "eligible": [
            SlotChoice(utc_text(e.slot.start) or "", _slot_label(e.slot.start, e.slot.end, zone, e.waivers))
            for e in sorted(eligible, key=lambda e: e.slot.start)
        ],
        "live": [
            {
                "start": utc_text(h.slot.start),
                "label": times.slot(h.slot.start, h.slot.end, zone),
                "expires": times.instant(h.expires_at, zone),
                "expires_at": h.expires_at,
                "where": hold_where(h),
                "reviewable": h.slot.start in eligible_starts,
            }
            for h in live
        ],
        "under_review": review,
        "open_request": (
            {"id": open_request.id, "href": f"/approvals/{esc.id}/{open_request.id}"}
            if open_request
            else None
        ),
        "coordinator": holding,
        "roles": ", ".join(sorted(r.value.replace("_", " ") for r in user.roles)),
        "max_hours": _MAX_HOURS,
        "now": now,
    }


# ---------------------------------------------------------------------------------------------- helpers


def parse_start(text: str) -> datetime:
    """A slot's start as a form posts it (ISO 8601 with an offset or Z); Refused (422) when it is not one."""
    given = text.strip()
    try:
        moment = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise _BadInput(f"{given[:40]!r} is not a slot start (ISO 8601 with an offset)") from None
    if moment.tzinfo is None or not 1900 <= moment.year <= 2999:
        raise _BadInput(f"{given[:40]!r} is not a slot start (ISO 8601 with an offset)")
    return moment


class _BadInput(Refused):
    """A form value the page could not read (422); nothing was asked of the service."""


def refusal_flash(error: ReadoutError, what: str, audited: bool = False) -> tuple[Flash, int]:
    """The message and status for a refused action: the service's words, nothing changed. ``audited``: the
    service records refusals of this command in the audit trail (review, confirm, approve, reject)."""
    if isinstance(error, _BadInput):
        return Flash("error", f"{what}: the form is not valid", (), (), f"{error} Nothing was changed."), 422
    status, _, title = classify(error)
    recorded = ("The refused attempt is recorded in the escalation's audit trail.",) if audited else ()
    return Flash(
        "error", f"{what} refused ({title.lower()}): {error}", (), recorded, "Nothing was changed."
    ), status


def effect_lines(effects: Sequence[Effect]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The effects' sentences: (carried out outside Readout, only recorded or not done yet)."""
    done = tuple(effect_sentence(e) for e in effects if not effects_pending([e]))
    pending = tuple(effect_sentence(e) for e in effects if effects_pending([e]))
    return done, pending


def who_decides_next(groups: Sequence[queries.DeciderGroup]) -> str:
    """Who must decide an open exception request, in words (from ``queries.deciders``)."""
    return "; ".join(messages.who_decides(groups)) or "support leadership"


def _answer(
    request: Request, who: Principal, escalation_id: str, flash: Flash, status: int = 200
) -> HTMLResponse:
    from readout.entrypoints.web.escalation import render_escalation

    return render_escalation(request, who, escalation_id, flash, status)


def _act(
    request: Request,
    who: Principal,
    escalation_id: str,
    what: str,
    act: Callable[[], Flash],
    audited: bool = False,
) -> HTMLResponse:
    """Run ``act`` (a use case and its message); a refusal answers the page with the service's words."""
    if "write" not in who.scopes:
        flash = Flash("error", f"{what} refused: this {who.via} may only read", next="Nothing was changed.")
        return _answer(request, who, escalation_id, flash, 403)
    try:
        flash = act()
    except ReadoutError as error:
        flash, status = refusal_flash(error, what, audited)
        return _answer(request, who, escalation_id, flash, status)
    return _answer(request, who, escalation_id, flash, 409 if flash.kind == "error" else 200)


def _holds_flash(outcome: HoldOutcome, headline: str, zone: str, user: User) -> Flash:
    done, pending = effect_lines(outcome.effects)
    ledger_only = any(hold_view(h)["ledger_only"] for h in outcome.live)  # as the API and CLI say it
    ledger = (messages.LEDGER_ONLY_NOTE + ".",) if ledger_only else ()
    first = min((h.expires_at for h in outcome.live), default=None)
    if outcome.problem:
        return Flash(
            "error" if not outcome.live else "warn",
            f"{headline}, but: {outcome.problem}",
            done,
            (*pending, *ledger),
            f"{_COORDINATORS}: look at the new plan below and hold again.",
        )
    if outcome.live:
        expiry = f" before the first hold expires ({times.instant(first, zone)})" if first else ""
        step = f"{_COORDINATORS} ({user.name} or another): review a held slot{expiry}."
    else:
        step = f"{_COORDINATORS}: hold again, or request an exception."
    return Flash("ok", headline, done, (*pending, *ledger), step)


def _live_words(holds: Sequence[Hold], zone: str) -> str:
    ordered = sorted(holds, key=lambda h: h.slot.start)
    return "; ".join(times.slot(h.slot.start, h.slot.end, zone) for h in ordered) or "none"


# ------------------------------------------------------------------------------------------------ routes


@router.post("/escalations/{escalation_id}/hold", response_class=HTMLResponse)
def hold(
    request: Request, escalation_id: EscalationPath, who: Viewer, slot: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Hold the best eligible slots spread over days (``slot`` empty), or only the one at ``slot``."""
    from readout.services import holding

    deps = request_deps(request)

    def act() -> Flash:
        start = parse_start(slot) if slot.strip() else None
        outcome = holding.hold_slots(deps, escalation_id, who.user.id, start)
        zone = _contract(deps, escalation_id)
        placed = len(outcome.placed)
        headline = (
            f"Held {placed} slot(s) for {escalation_id}: {_live_words(outcome.placed, zone)}"
            if placed
            else f"No new hold for {escalation_id}: the live holds already cover the best slots"
        )
        return _holds_flash(outcome, headline, zone, who.user)

    return _act(request, who, escalation_id, "Hold", act)


@router.post("/escalations/{escalation_id}/holds/extend", response_class=HTMLResponse)
def extend(
    request: Request, escalation_id: EscalationPath, who: Viewer, hours: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Push every live hold's expiry to now + ``hours`` (empty: the case's ``holds.ttl_hours``)."""
    from readout.services import holding

    deps = request_deps(request)

    def act() -> Flash:
        ttl = None
        if hours.strip():
            if not hours.strip().isdigit() or not 1 <= int(hours) <= _MAX_HOURS:
                raise _BadInput(f"hours must be a whole number from 1 to {_MAX_HOURS}, not {hours[:20]!r}")
            ttl = timedelta(hours=int(hours))
        outcome = holding.extend_holds(deps, escalation_id, who.user.id, ttl)
        zone = _contract(deps, escalation_id)
        expiry = min((h.expires_at for h in outcome.live), default=None)
        until = f" until {times.instant(expiry, zone)}" if expiry else ""
        headline = f"Extended {len(outcome.live)} live hold(s) of {escalation_id}{until}"
        return _holds_flash(outcome, headline, zone, who.user)

    return _act(request, who, escalation_id, "Extend", act)


@router.post("/escalations/{escalation_id}/holds/release", response_class=HTMLResponse)
def release(
    request: Request, escalation_id: EscalationPath, who: Viewer, slot: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Release every live hold (``slot`` empty), or only the one at ``slot``."""
    from readout.services import holding

    deps = request_deps(request)

    def act() -> Flash:
        start = parse_start(slot) if slot.strip() else None
        outcome = holding.release_holds(deps, escalation_id, who.user.id, start)
        zone = _contract(deps, escalation_id)
        which = f"the hold starting {times.instant(start, zone)}" if start else "every live hold"
        headline = f"Released {which} of {escalation_id}; live holds now: {_live_words(outcome.live, zone)}"
        return _holds_flash(outcome, headline, zone, who.user)

    return _act(request, who, escalation_id, "Release", act)


@router.post("/escalations/{escalation_id}/exception", response_class=HTMLResponse)
def request_exception(
    request: Request, escalation_id: EscalationPath, who: Viewer, reason: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Raise an exception request with a reason (routed to support leadership), as the API does."""
    from readout.services import exceptions

    deps = request_deps(request)

    def act() -> Flash:
        if len(reason) > _MAX_REASON:
            raise _BadInput(f"the reason is longer than {_MAX_REASON} characters")
        outcome = exceptions.request_exception(deps, escalation_id, who.user.id, reason)
        groups = queries.deciders(deps, escalation_id)
        link = f"/approvals/{escalation_id}/{outcome.request.id}"
        return Flash(
            "ok",
            f"Exception request #{outcome.request.id} is recorded in Readout "
            f"(state: {outcome.escalation.state.value.replace('_', ' ')}).",
            (),
            (
                (
                    "A message to the leadership channel is queued, with Approve and Reject buttons: "
                    f"`readout worker` delivers it. The request's page: {link}"
                )
                if deps.channel is not None
                else (
                    "An e-mail to the users who may decide it is queued: `readout worker` sends it. The "
                    f"request's page: {link}"
                )
                if deps.notifier is not None
                else (
                    "Nobody has been notified: no leadership channel or mail relay is configured. Tell them "
                    f"yourself and send them the request's page: {link}"
                ),
            ),
            f"{who_decides_next(groups)}: decide on the request's page ({link}).",
        )

    return _act(request, who, escalation_id, "Exception request", act)


@router.post("/escalations/{escalation_id}/review", response_class=HTMLResponse)
def review(
    request: Request, escalation_id: EscalationPath, who: Viewer, slot: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Select a held slot and show its invite packet (what the customer will receive; nothing is sent), with
    the form that confirms exactly that packet (its digest)."""
    from readout.services import confirmation

    deps = request_deps(request)
    if "write" not in who.scopes:
        flash = Flash("error", f"Review refused: this {who.via} may only read", next="Nothing was changed.")
        return _answer(request, who, escalation_id, flash, 403)
    try:
        if not slot.strip():
            raise _BadInput("choose a held slot to review")
        result = confirmation.review(deps, escalation_id, who.user.id, parse_start(slot))
    except ReadoutError as error:
        flash, status = refusal_flash(error, "Review", audited=not isinstance(error, _BadInput))
        return _answer(request, who, escalation_id, flash, status)
    zones = queries.case_zones(deps, escalation_id)
    zone = zones.contract if zones else "UTC"
    chosen = result.slot.slot
    flash = Flash(
        "ok",
        f"Under review: {times.slot(chosen.start, chosen.end, zone)}. Nothing has been sent.",
        (),
        ("The review is recorded in Readout (state: awaiting confirmation) with the packet's digest.",),
        f"{_COORDINATORS}: confirm this packet below, after a fresh free/busy check.",
    )
    context = {
        "flash": flash,
        "escalation_id": escalation_id,
        "packet": result.packet,
        "digest": result.packet.digest,
        "slot": times.slot(chosen.start, chosen.end, zone),
        "zone": zone,
        "city": times.city(zone),
        "waivers": result.waivers,
    }
    return page(request, "review.html", context)


@router.post("/escalations/{escalation_id}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request, escalation_id: EscalationPath, who: Viewer, packet_digest: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Confirm the reviewed packet (named by its digest) after the service's fresh free/busy check."""
    from readout.services import confirmation

    deps = request_deps(request)

    def act() -> Flash:
        given = packet_digest.strip()
        if not 8 <= len(given) <= 64 or any(c not in "0123456789abcdefABCDEF" for c in given):
            raise _BadInput(
                "the packet digest must be 8 to 64 hexadecimal characters of the reviewed packet's"
            )
        outcome = confirmation.confirm(deps, escalation_id, who.user.id, given)
        return confirm_flash(deps_zone(deps, escalation_id), outcome, who.user)

    return _act(request, who, escalation_id, "Confirmation", act, audited=True)


def confirm_flash(zone: str, outcome: ConfirmOutcome, user: User) -> Flash:
    """What a confirmation did: refused by the fresh check (why, what blocks the slot, the steps that go on),
    confirmed with the invitation sent, or confirmed with NO invitation sent (and who sends the packet)."""
    esc = outcome.escalation
    if not outcome.confirmed:
        obstacles = tuple(o for o in outcome.obstacles if o not in outcome.reason)
        return Flash(
            "error",
            f"Not confirmed: {outcome.reason}. The fresh free/busy check refused it; back to "
            f"{esc.state.value.replace('_', ' ')}.",
            obstacles,
            ("The refused confirmation and the new plan are recorded in Readout; no invitation was sent.",),
            f"{_COORDINATORS}: " + " ".join(outcome.next_steps),
        )
    slot = esc.review_slot
    when = times.slot(slot.start, slot.end, zone) if slot else "?"
    done, pending = effect_lines(outcome.effects)
    headline = messages.confirmed_headline(user.name, when)
    invited = any(e.kind.value == "send_invitation" for e in outcome.effects)
    if invited:
        return Flash(
            "ok", headline, done, pending, "Nobody: the readout is confirmed and the invitation sent."
        )
    packet = outcome.packet
    to = (
        "; ".join(f"{a.name} <{a.email}> ({a.role.replace('_', ' ')})" for a in packet.attendees)
        if packet
        else ""
    )
    return Flash(
        "warn",
        f"{headline} {messages.no_invitation_block(messages.NO_RELAY)[0]}",
        done,
        (*pending, *messages.no_invitation_block(messages.NO_RELAY)[1:]),
        f"{user.name}: send the reviewed packet to its attendees yourself: {to}.",
    )


def deps_zone(deps: Any, escalation_id: str) -> str:
    """The escalation's contract zone (UTC without a stored case document)."""
    zones = queries.case_zones(deps, escalation_id)
    return zones.contract if zones else "UTC"


_contract = deps_zone
