"""What the support leadership channel is told, written as outbox intents with the decision that causes it.

Each function here runs inside the deciding use case's unit of work, after the escalation was saved and
before the commit: it writes ``CHANNEL_POST`` / ``CHANNEL_UPDATE`` effects (``services.effects._add``), keyed
so that writing the same intent twice records it once; the effect runner (``carry_out``, the worker) posts
them afterwards. With no channel configured (``deps.channel is None``) nothing is written.

- an open exception request: one top-level message (its topic: ``domain.channel.request_topic``);
- a decided one (approved, rejected, sent on to support leadership, superseded by a newer plan): the same
  message updated in place, its buttons replaced by who decided, when and what;
- follow-ups in the thread of the escalation's latest request message: a waiver recorded while another is
  still needed, holds placed, holds released or expired, a review, the confirmation (with the invitation
  queued, or NO INVITATION WAS SENT and why), the cancellation. An escalation that never had a request
  message (a case that was ready at once) has no thread: nothing is posted for it.

Without a channel but with an SMTP relay (``deps.notifier``), an open exception request is e-mailed instead,
once, to the users who may decide it (the deciders of its route, ``services.queries``): a ``NOTIFY_EMAIL``
effect written in the same unit of work. With neither, nothing is written.

Messages carry names, roles, families and times only: never the internal summary, never a calendar address.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from readout.domain.channel import ChannelMessage, request_topic
from readout.domain.effects import Effect, EffectKind
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Decision, ExceptionRequest, Route
from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval, utc_text
from readout.domain.names import family_order
from readout.domain.users import SYSTEM, WAIVERS, Role, User, may_waive
from readout.presentation import slack
from readout.presentation.messages import NO_RELAY
from readout.services.context import Deps
from readout.services.effects import _add, notify_effect
from readout.services.notify import RequestMail, request_email
from readout.services.ports import UnitOfWork
from readout.services.queries import CaseZones, zones_of_document
from readout.services.queries import _deciders as route_deciders

__all__ = [
    "cancelled",
    "confirmed",
    "holds_ended",
    "holds_placed",
    "public_origin",
    "request_card",
    "requests_changed",
    "reviewed",
]

_DEFAULT_ORIGIN = "http://127.0.0.1:8000"
# The order roles are named in when several may decide (whose decision it primarily is first).
_ROLE_ORDER = (Role.DUTY_MANAGER, Role.ENGINEERING_MANAGER, Role.PROGRAM_MANAGER, Role.SUPPORT_LEADERSHIP)
_NOT_ANNOUNCED = frozenset({"not chosen", "escalation cancelled", "confirmed"})  # said by their own reply


def public_origin(environ: Mapping[str, str] | None = None) -> str:
    """Where people open Readout from the channel: ``READOUT_PUBLIC_ORIGIN``, else the local default."""
    found = (os.environ if environ is None else environ).get("READOUT_PUBLIC_ORIGIN", "").strip()
    return found.rstrip("/") or _DEFAULT_ORIGIN


# Requests: posted when open, updated in place when decided --------------------------------------------------


def requests_changed(deps: Deps, uow: UnitOfWork, esc: Escalation, now: datetime) -> list[Effect]:
    """Bring the channel in line with the escalation's exception requests: post each open one not posted
    yet, update each decided one that was posted, reply with waivers recorded on a request still open.
    Without a channel: e-mail each open request to its deciders, when a notifier is configured."""
    if deps.channel is None:
        return _email_open_requests(deps, uow, esc, now)
    written: list[Effect] = []
    keys = _keys(uow, esc)
    for request in uow.exceptions.of(esc.id):
        topic = request_topic(esc.id, request.id)
        posted = f"channel:{topic}:post" in keys
        if request.decision is Decision.OPEN:
            card = request_card(uow, esc, request)
            if not posted:
                written.append(_post(uow, esc, topic, None, "post", slack.request_message(card), now))
            written += _waivers_so_far(uow, esc, request, card, topic, now)
        elif posted and f"channel:{topic}:decided" not in keys:
            message = _decided_message(uow, esc, request)
            written.append(_add(uow, esc.id, EffectKind.CHANNEL_UPDATE, f"channel:{topic}:decided",
                                {"topic": topic, "message": message.as_payload()}, now))  # fmt: skip
    return written


def _email_open_requests(deps: Deps, uow: UnitOfWork, esc: Escalation, now: datetime) -> list[Effect]:
    """Each open request not e-mailed yet, to the users holding a role that may decide it (by user id: their
    addresses are read from the users store when it is sent); nothing without a notifier."""
    if deps.notifier is None:
        return []
    written: list[Effect] = []
    keys = {e.key for e in uow.effects.of(esc.id) if e.kind is EffectKind.NOTIFY_EMAIL}
    for request in uow.exceptions.of(esc.id):
        key = f"notify:request:{request.id}"
        if request.decision is not Decision.OPEN or key in keys:
            continue
        deciders = {uid for group in route_deciders(uow, request) for uid, _ in group.users}
        card = request_card(uow, esc, request)
        mail = request_email(
            RequestMail(
                escalation_id=esc.id,
                request_id=request.id,
                customer=card.customer,
                contract_zone=card.contract_zone,
                deadline=request.deadline,
                to_leadership=card.to_leadership,
                causes=card.causes,
                options=tuple((o.start, o.end, o.waivers) for o in card.options),
                requester=card.requester,
                reason=request.reason,
                link=card.link,
            )
        )
        about = {"request": request.id, "route": request.route.value}
        effect = notify_effect(
            uow, esc.id, key, deciders, (mail.subject, mail.body), ("approvers_notified", about), now
        )
        if effect is not None:
            written.append(effect)
    return written


def request_card(uow: UnitOfWork, esc: Escalation, request: ExceptionRequest) -> slack.RequestCard:
    """What the request's message says, from the stored request, case document and users."""
    zones = _zones(uow, esc)
    owner = zones.of("fix_owner")
    options = tuple(slack.Option(o.slot.start, o.slot.end, o.waivers) for o in request.options)
    return slack.RequestCard(
        escalation_id=esc.id,
        request_id=request.id,
        customer=zones.customer_name,
        contract_zone=zones.contract,
        deadline=request.deadline,
        to_leadership=request.route is Route.SUPPORT_LEADERSHIP,
        causes=request.causes,
        deciders=_deciders(uow, request),
        requester=_requester(uow, request),
        reason=request.reason,
        requested_at=request.requested_at,
        options=options[: slack.MAX_OPTIONS],
        fix_owner=slack.Person(owner.name, owner.zone) if owner else None,
        link=f"{public_origin()}/approvals/{esc.id}/{request.id}",
    )


def _deciders(uow: UnitOfWork, request: ExceptionRequest) -> tuple[slack.DeciderGroup, ...]:
    """Per cause (and family an option needs waived): the roles that may waive it (support leadership for
    what nobody may waive) and the users holding one, without the person the request was raised for."""
    from readout.services.exceptions import raised_for  # exceptions imports this module

    excluded = raised_for(uow, request)
    users = [u for u in uow.users.list() if u.id != excluded]
    families = {*request.causes, *(f for o in request.options for f in o.waivers)}
    groups: list[slack.DeciderGroup] = []
    if request.route is Route.SUPPORT_LEADERSHIP:
        groups.append(("", ("support_leadership",), _holders(users, frozenset({Role.SUPPORT_LEADERSHIP}))))
    for family in sorted(families, key=family_order):
        roles = WAIVERS.get(family, frozenset({Role.SUPPORT_LEADERSHIP}))
        label = family if family in WAIVERS else f"{family} (cannot be waived)"
        ordered = tuple(r.value for r in (*_ROLE_ORDER, *Role) if r in roles)
        groups.append((label, tuple(dict.fromkeys(ordered)), _holders(users, roles)))
    return tuple(groups)


def _holders(users: list[User], roles: frozenset[Role]) -> tuple[tuple[str, str], ...]:
    return tuple((u.id, u.name) for u in users if u.roles & roles)


def _requester(uow: UnitOfWork, request: ExceptionRequest) -> str:
    from readout.services.exceptions import raised_for

    if request.requested_by != SYSTEM.id:
        return _name(uow, request.requested_by)
    person = raised_for(uow, request)
    if person == SYSTEM.id:
        return "Readout, when a plan found no compliant slot"
    return f"Readout, when {_name(uow, person)}'s plan found no compliant slot"


def _decided_message(uow: UnitOfWork, esc: Escalation, request: ExceptionRequest) -> ChannelMessage:
    card = request_card(uow, esc, request)
    at = request.decided_at or request.requested_at
    by = _name(uow, request.decided_by or SYSTEM.id)
    if request.decision is Decision.APPROVED:
        return slack.approved_message(card, by, at, _approves(uow, esc, request, card))
    if request.decision is Decision.REJECTED:
        onward = request.route is Route.WAIVER_APPROVERS
        return slack.rejected_message(card, by, at, request.decision_reason or "no reason given", onward)
    return slack.superseded_message(card, at, request.decision_reason or "a newer plan was made")


def _approves(uow: UnitOfWork, esc: Escalation, request: ExceptionRequest, card: slack.RequestCard) -> str:
    """What the approval approved, from its audit entry: a replacement role holder, or a slot with the
    waivers recorded for it."""
    entry = next(
        (
            e.payload
            for e in reversed(uow.audit.entries(esc.id))
            if e.kind == "approve_exception" and e.payload.get("request") == request.id
        ),
        {},
    )
    if entry.get("approves") == "replacement":
        role = str(entry.get("role", "")).replace("_", " ")
        return f"{entry.get('person_name')} replaces {entry.get('replaces_name')} as the {role}"
    option = next((o for o in card.options if utc_text(o.start) == entry.get("start")), None)
    if option is None:
        return "the request"
    waived = sorted(
        {w.family for w in uow.waivers.of(esc.id) if w.slot.start == option.start}, key=family_order
    )
    asked = " (the customer asked for it)" if entry.get("customer_asked") else ""
    return f"the slot {slack.option_text(card, option)} with {', '.join(waived) or 'no'} waived{asked}"


def _waivers_so_far(
    uow: UnitOfWork,
    esc: Escalation,
    request: ExceptionRequest,
    card: slack.RequestCard,
    topic: str,
    now: datetime,
) -> list[Effect]:
    """A reply per waiver recorded on a request that stays open (another waiver is still needed)."""
    written = []
    waivers = [w for w in uow.waivers.of(esc.id) if w.request_id == request.id]
    for waiver in waivers:
        option = request.option_at(waiver.slot.start)
        if option is None:
            continue
        granted = {w.family for w in waivers if w.slot == waiver.slot}
        missing = [f for f in option.waivers if f not in granted]
        still = "; ".join(
            f"{f}: "
            + (" or ".join(u.name for u in uow.users.list() if may_waive(u, f)) or "nobody in Readout")
            for f in missing
        )
        when = slack.option_text(card, slack.Option(waiver.slot.start, waiver.slot.end, option.waivers))
        message = slack.waiver_reply(
            _name(uow, waiver.approved_by), waiver.approved_at, card.contract_zone, [waiver.family], when,
            f"still to be waived for this slot: {still or 'nothing'}",
        )  # fmt: skip
        key = f"waived:{utc_text(waiver.slot.start)}:{waiver.family}"
        written.append(_post(uow, esc, topic, topic, key, message, now))
    return written


# Follow-ups in the request's thread -------------------------------------------------------------------------


def holds_placed(
    deps: Deps, uow: UnitOfWork, esc: Escalation, holds: Iterable[Hold], by: User, now: datetime
) -> list[Effect]:
    """A reply: the holds one command recorded, each slot and whose calendars it goes on (or ledger only)."""
    placed = sorted(holds, key=lambda h: h.slot.start)
    topic = _thread(deps, uow, esc)
    if topic is None or not placed:
        return []
    zones, people = _zones(uow, esc), _people(uow, esc)
    held = [(_slot(h.slot, zones), _calendars_of(h, people)) for h in placed]
    message = slack.holds_placed_reply(by.name, now, zones.contract, held, min(h.expires_at for h in placed))
    return [_post(uow, esc, topic, topic, "held:" + ",".join(str(h.id) for h in placed), message, now)]


def holds_ended(deps: Deps, uow: UnitOfWork, esc: Escalation, by: User, now: datetime) -> list[Effect]:
    """A reply per reason for holds ended by this decision (released or expired at ``now``), each hold told
    once; those a confirmation or a cancellation ended are told by that reply."""
    topic = _thread(deps, uow, esc)
    if topic is None:
        return []
    told = {part for key in _keys(uow, esc) if ":ended:" in key for part in key.rsplit(":", 1)[-1].split(",")}
    ended: dict[tuple[HoldStatus, str], list[Hold]] = {}
    for hold in uow.holds.of(esc.id):
        if (
            hold.ended_at == now
            and hold.status in (HoldStatus.RELEASED, HoldStatus.EXPIRED)
            and (hold.end_reason or "") not in _NOT_ANNOUNCED
            and str(hold.id) not in told
        ):
            ended.setdefault((hold.status, hold.end_reason or "no reason recorded"), []).append(hold)
    zones = _zones(uow, esc)
    written = []
    for (status, why), holds in ended.items():
        expired = status is HoldStatus.EXPIRED
        slots = [_slot(h.slot, zones) for h in sorted(holds, key=lambda h: h.slot.start)]
        on_calendars = any(not h.ledger_only for h in holds)
        message = slack.holds_ended_reply(by.name, now, zones.contract, slots, why, expired, on_calendars)
        key = "ended:" + ",".join(str(h.id) for h in holds)
        written.append(_post(uow, esc, topic, topic, key, message, now))
    return written


def reviewed(
    deps: Deps, uow: UnitOfWork, esc: Escalation, slot: Interval, by: User, now: datetime
) -> list[Effect]:
    """A reply: a held slot's invite packet was reviewed (nothing sent)."""
    topic = _thread(deps, uow, esc)
    if topic is None:
        return []
    zones = _zones(uow, esc)
    message = slack.reviewed_reply(by.name, now, zones.contract, _slot(slot, zones))
    return [_post(uow, esc, topic, topic, f"reviewed:{esc.audit_seq}", message, now)]


def confirmed(
    deps: Deps, uow: UnitOfWork, esc: Escalation, slot: Interval, by: User, attendees: int, now: datetime
) -> list[Effect]:
    """A reply: the readout confirmed, with the invitation queued or NO INVITATION WAS SENT and why."""
    topic = _thread(deps, uow, esc)
    if topic is None:
        return []
    zones = _zones(uow, esc)
    not_sent = None if deps.invites is not None else NO_RELAY
    manager = zones.of("escalation_manager")
    message = slack.confirmed_reply(
        by.name,
        _slot(slot, zones),
        attendees,
        not_sent,
        manager.name if manager else None,
        f"{public_origin()}/escalations/{esc.id}",
    )
    return [_post(uow, esc, topic, topic, f"confirmed:{utc_text(slot.start)}", message, now)]


def cancelled(
    deps: Deps, uow: UnitOfWork, esc: Escalation, by: User, reason: str, was_confirmed: bool, now: datetime
) -> list[Effect]:
    """A reply: the readout was cancelled."""
    topic = _thread(deps, uow, esc)
    if topic is None:
        return []
    sent = any(  # the iMIP CANCEL this cancellation wrote (none: Readout invited nobody, or has no relay)
        e.kind is EffectKind.SEND_INVITATION and e.payload.get("method") == "CANCEL"
        for e in uow.effects.of(esc.id)
    )
    message = slack.cancelled_reply(by.name, now, _zones(uow, esc).contract, reason, was_confirmed, sent)
    return [_post(uow, esc, topic, topic, "cancelled", message, now)]


# Shared -----------------------------------------------------------------------------------------------------


def _post(
    uow: UnitOfWork,
    esc: Escalation,
    topic: str,
    thread: str | None,
    what: str,
    message: ChannelMessage,
    now: datetime,
) -> Effect:
    payload: dict[str, Any] = {"topic": topic, "thread": thread, "message": message.as_payload()}
    return _add(uow, esc.id, EffectKind.CHANNEL_POST, f"channel:{topic}:{what}", payload, now)


def _keys(uow: UnitOfWork, esc: Escalation) -> set[str]:
    return {
        e.key
        for e in uow.effects.of(esc.id)
        if e.kind in (EffectKind.CHANNEL_POST, EffectKind.CHANNEL_UPDATE)
    }


def _thread(deps: Deps, uow: UnitOfWork, esc: Escalation) -> str | None:
    """The topic whose thread follow-ups go in: the escalation's latest request message (None: none)."""
    if deps.channel is None:
        return None
    keys = _keys(uow, esc)
    posted = [r for r in uow.exceptions.of(esc.id) if f"channel:{request_topic(esc.id, r.id)}:post" in keys]
    return request_topic(esc.id, posted[-1].id) if posted else None


def _zones(uow: UnitOfWork, esc: Escalation) -> CaseZones:
    stored = uow.cases.latest(esc.id)
    return zones_of_document(stored.document.body) if stored else CaseZones("UTC")


def _people(uow: UnitOfWork, esc: Escalation) -> dict[str, str]:
    """Person id -> display name, from the stored case document."""
    stored = uow.cases.latest(esc.id)
    people = stored.document.body.get("people") if stored else None
    if not isinstance(people, Mapping):
        return {}
    return {str(pid): str(p.get("name") or pid) for pid, p in people.items() if isinstance(p, Mapping)}


def _calendars_of(hold: Hold, people: dict[str, str]) -> str:
    """Whose calendars a hold goes on, by name (never the calendar's address); "" when on nobody's."""
    if hold.ledger_only:
        return ""
    names = [people.get(p.person or "", "a role holder") for p in hold.targets if p.on_a_calendar]
    return ", ".join(f"{n}'s calendar" for n in names)


def _slot(slot: Interval, zones: CaseZones) -> str:
    owner = zones.of("fix_owner")
    person = slack.Person(owner.name, owner.zone) if owner else None
    return slack.slot_for(slot.start, slot.end, zones.contract, person)


def _name(uow: UnitOfWork, user_id: str) -> str:
    if user_id == SYSTEM.id:
        return SYSTEM.name
    user = uow.users.get(user_id)
    return user.name if user else user_id
