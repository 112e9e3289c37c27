"""Use cases: review a held slot's invite packet, confirm it (a named human's commitment), cancel.

Confirmation fails closed: it needs a live hold, the packet the human reviewed, and a fresh free/busy check.
If anything changed, the escalation goes back to planning with the reason and nothing is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from readout.adapters.casefile import load_case
from readout.domain.case import Person
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Waiver
from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.invite import Invitation, InvitePacket, build_packet, invitation_uid
from readout.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, State
from readout.domain.users import SYSTEM, Permission
from readout.errors import Refused
from readout.services.context import Deps, actor, load_escalation, slot_text
from readout.services.eligibility import Eligible, eligible_slots
from readout.services.escalations import replan
from readout.services.holding import end_hold
from readout.services.plan_json import plan_to_json
from readout.services.planning import plan_case_file
from readout.services.ports import UnitOfWork

__all__ = ["ConfirmOutcome", "Review", "cancel", "confirm", "review"]


@dataclass(frozen=True)
class Review:
    """What the human sees before confirming: the slot, the packet, the waivers and the holds."""

    escalation: Escalation
    slot: Eligible
    packet: InvitePacket
    waivers: tuple[Waiver, ...]
    holds: tuple[Hold, ...]


@dataclass(frozen=True)
class ConfirmOutcome:
    """Confirmed, or sent back to planning with the reason."""

    escalation: Escalation
    confirmed: bool
    reason: str
    packet: InvitePacket | None = None


def _eligible_at(uow: UnitOfWork, esc: Escalation, start: datetime) -> Eligible | None:
    plan = uow.plans.latest(esc.id) or {}
    return next((e for e in eligible_slots(plan, uow.waivers.of(esc.id)) if e.slot.start == start), None)


def _live_hold(uow: UnitOfWork, esc: Escalation, slot: Interval, now: datetime) -> Hold | None:
    return next((h for h in uow.holds.of(esc.id) if h.slot == slot and h.is_live(now)), None)


def review(deps: Deps, escalation_id: str, user_id: str, start: datetime) -> Review:
    """Select a held slot and prepare its invite packet for review (no invite is sent)."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.REVIEW)
        esc = load_escalation(uow, escalation_id)
        if esc.state not in (State.HELD, State.AWAITING_CONFIRMATION):
            raise IllegalTransition(esc.state, Action.REVIEW)
        chosen = _eligible_at(uow, esc, start)
        if chosen is None or _live_hold(uow, esc, chosen.slot, now) is None:
            raise Refused("review a slot that is eligible and held live (see `readout status`)")
        packet = build_packet(load_case(Path(esc.case_path)).case, chosen.slot, chosen.interpreter)
        esc.review_slot, esc.review_interpreter, esc.packet_digest = (
            chosen.slot,
            chosen.interpreter,
            packet.digest,
        )
        waivers = tuple(w for w in uow.waivers.of(esc.id) if w.slot == chosen.slot)
        esc.transition(
            Action.REVIEW,
            now,
            user.id,
            {
                **slot_text(chosen.slot),
                "packet_digest": packet.digest,
                "waivers": [w.family for w in waivers],
            },
        )
        uow.escalations.save(esc)
        uow.commit()
        holds = tuple(h for h in uow.holds.of(esc.id) if h.is_live(now))
        return Review(esc, chosen, packet, waivers, holds)


def confirm(deps: Deps, escalation_id: str, user_id: str, packet_digest: str) -> ConfirmOutcome:
    """Confirm the reviewed slot after a fresh free/busy check; release every other hold.

    ``packet_digest`` (or its first 8+ characters) names the reviewed invite packet: the confirming person
    commits to exactly what was shown at review.
    """
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.CONFIRM)
        esc = load_escalation(uow, escalation_id)
        if esc.state is not State.AWAITING_CONFIRMATION or esc.review_slot is None:
            raise IllegalTransition(esc.state, Action.CONFIRM)
        if not _names_packet(packet_digest, esc.packet_digest):
            raise Refused("that packet digest is not the reviewed one: copy it from `readout review`")
        slot = esc.review_slot
        hold = _live_hold(uow, esc, slot, now)
        if hold is None:
            raise Refused(f"the hold on {slot_text(slot)['start']} is no longer live: hold and review again")
        packet = _recheck(uow, deps, esc, slot, now)
        if isinstance(packet, str):
            replan(uow, deps, esc, SYSTEM, now, f"confirmation refused: {packet}")
            uow.escalations.save(esc)
            uow.commit()
            return ConfirmOutcome(esc, False, packet)
        # The organizer's hold becomes the readout, the invitation goes out, then the other holds go.
        end_hold(uow, deps, esc, hold, HoldStatus.CONFIRMED, now, user.id, "confirmed", packet)
        _send(deps, esc, packet, "REQUEST", now, user.id)
        for other in uow.holds.of(esc.id):
            if other.status is HoldStatus.LIVE and other.id != hold.id:
                end_hold(uow, deps, esc, other, HoldStatus.RELEASED, now, user.id, "not chosen")
        esc.confirmed_by, esc.confirmed_at = user.id, now
        waivers = [w.family for w in uow.waivers.of(esc.id) if w.slot == slot]
        esc.transition(
            Action.CONFIRM,
            now,
            user.id,
            {
                **slot_text(slot),
                "packet_digest": packet.digest,
                "confirmed_by": user.name,
                "waivers": waivers,
            },
        )
        uow.escalations.save(esc)
        uow.commit()
        return ConfirmOutcome(esc, True, "confirmed", packet)


def _send(deps: Deps, esc: Escalation, packet: InvitePacket, method: str, now: datetime, who: str) -> None:
    """Send the iMIP message for ``packet`` (only ever after a named human confirmed), and audit it."""
    organizer = _organizer(esc)
    sequence = 0 if method == "REQUEST" else 1  # a cancellation supersedes the request (RFC 5546)
    invitation = Invitation(packet, method, invitation_uid(esc.id), sequence, organizer.name, organizer.email)
    if deps.invites is None:
        esc.record(
            now, SYSTEM.id, "invite_not_sent", {"method": method, "reason": "no SMTP relay configured"}
        )
        return
    deps.invites.send(invitation)
    recipients = [a.email for a in packet.attendees]
    esc.record(
        now,
        who,
        "invite_sent",
        {"method": method, "sequence": sequence, "to": recipients, "packet_digest": packet.digest},
    )


def _organizer(esc: Escalation) -> Person:
    case = load_case(Path(esc.case_path)).case
    return case.people[case.roles["escalation_manager"] or ""]


def _names_packet(given: str, reviewed: str | None) -> bool:
    given = given.strip().lower()
    return reviewed is not None and len(given) >= 8 and reviewed.startswith(given)


def _recheck(
    uow: UnitOfWork, deps: Deps, esc: Escalation, slot: Interval, now: datetime
) -> InvitePacket | str:
    """Plan again from fresh calendars (without saving): the packet to confirm, or what no longer holds."""
    planned = plan_case_file(Path(esc.case_path), deps.reader, deps.clock, now, deps.source_timeout)
    fresh = plan_to_json(planned.plan, None)
    still = next((e for e in eligible_slots(fresh, uow.waivers.of(esc.id)) if e.slot == slot), None)
    if still is None:
        return "free/busy changed: the reviewed slot is no longer compliant"
    packet = build_packet(planned.case, slot, still.interpreter)
    if packet.digest != esc.packet_digest:
        return "the invite packet changed since review (attendees, interpreter or times)"
    return packet


def cancel(deps: Deps, escalation_id: str, user_id: str, reason: str) -> Escalation:
    """Cancel the readout: release every live hold; a confirmed readout is withdrawn with an iMIP CANCEL."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.CANCEL)
        esc = load_escalation(uow, escalation_id)
        if (esc.state, Action.CANCEL) not in TRANSITIONS:
            raise IllegalTransition(esc.state, Action.CANCEL)
        if esc.state is State.CONFIRMED and esc.review_slot is not None:
            packet = build_packet(
                load_case(Path(esc.case_path)).case, esc.review_slot, esc.review_interpreter
            )
            _send(deps, esc, packet, "CANCEL", now, user.id)
        for hold in uow.holds.of(esc.id):
            if hold.status in (HoldStatus.LIVE, HoldStatus.CONFIRMED):
                end_hold(uow, deps, esc, hold, HoldStatus.RELEASED, now, user.id, "escalation cancelled")
        esc.transition(Action.CANCEL, now, user.id, {"reason": reason})
        uow.escalations.save(esc)
        uow.commit()
        return esc
