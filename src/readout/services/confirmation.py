"""Use cases: review a held slot's invite packet, confirm it (a named human's commitment), cancel.

Confirmation fails closed: it needs a live hold, the packet the human reviewed, and a fresh free/busy check.
If anything changed, the escalation goes back to planning with the reason and nothing is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from readout.domain.case import Case
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.domain.eligibility import Eligible, eligible_slots
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import Waiver
from readout.domain.holds import Hold, HoldStatus
from readout.domain.intervals import Interval
from readout.domain.invite import Invitation, InvitePacket, build_packet, invitation_uid
from readout.domain.lifecycle import Action, IllegalTransition, State
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import Conflict, Refused
from readout.services.context import Deps, actor, load_escalation, slot_text, stored_case
from readout.services.effects import (
    cancellation_of,
    carry_out,
    confirm_effect,
    effects_of,
    end_with_release,
    invitation_effect,
)
from readout.services.escalations import apply_replan
from readout.services.exceptions import check_not_own_waiver
from readout.services.planning import PlannedCase, plan_case
from readout.services.ports import UnitOfWork

__all__ = ["NO_RELAY", "CancelOutcome", "ConfirmOutcome", "Review", "cancel", "confirm", "review"]

NO_RELAY = "no SMTP relay configured (READOUT_SMTP_HOST)"
_ATTEMPTS = 3  # checks made again when the escalation changed while the calendars were read


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
    """Confirmed, or sent back to planning with the reason; what became of the calendar event and the
    invitation by the time the command ended."""

    escalation: Escalation
    confirmed: bool
    reason: str
    packet: InvitePacket | None = None
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class CancelOutcome:
    """The cancelled escalation and what became of its calendar releases and withdrawal."""

    escalation: Escalation
    effects: tuple[Effect, ...] = ()


def _eligible_at(uow: UnitOfWork, esc: Escalation, start: datetime) -> Eligible | None:
    plan = uow.plans.latest(esc.id)
    eligible = eligible_slots(plan, uow.waivers.of(esc.id)) if plan else []
    return next((e for e in eligible if e.slot.start == start), None)


def _live_hold(uow: UnitOfWork, esc: Escalation, slot: Interval, now: datetime) -> Hold | None:
    return next((h for h in uow.holds.of(esc.id) if h.slot == slot and h.is_live(now)), None)


def review(deps: Deps, escalation_id: str, user_id: str, start: datetime) -> Review:
    """Select a held slot and prepare its invite packet for review (no invite is sent)."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.REVIEW)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.REVIEW)
        chosen = _eligible_at(uow, esc, start)
        if chosen is None or _live_hold(uow, esc, chosen.slot, now) is None:
            raise Refused("review a slot that is eligible and held live (see `readout status`)")
        packet = build_packet(stored_case(deps, uow, esc).case, chosen.slot, chosen.interpreter)
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
    commits to exactly what was shown at review. The calendars are read outside any transaction; the decision
    is written only if nobody changed the escalation meanwhile (else it is checked again). The calendar event
    and the invitation are carried out after the decision is committed (``services.effects``).
    """
    for _ in range(_ATTEMPTS):
        now = deps.clock()
        with deps.look() as uow:
            user = actor(uow, user_id, Permission.CONFIRM)
            esc = load_escalation(uow, escalation_id)
            slot = _confirmable(uow, esc, packet_digest, now).slot
            check_not_own_waiver(uow, esc, user, slot)  # who waived a constraint for it does not confirm it
            loaded, version, waivers = stored_case(deps, uow, esc), esc.version, uow.waivers.of(esc.id)
        planned = plan_case(loaded, deps.reader, now, deps.source_timeout)
        packet = _recheck(planned, waivers, slot, esc.packet_digest)
        with deps.uow() as uow:
            user = actor(uow, user_id, Permission.CONFIRM)
            esc = load_escalation(uow, escalation_id)
            if esc.version != version:
                continue  # something happened meanwhile (a hold expired, an effect settled): check again
            if isinstance(packet, str):
                apply_replan(uow, esc, planned, SYSTEM, now, f"confirmation refused: {packet}")
                uow.escalations.save(esc)
                uow.commit()
                carry_out(deps, esc.id)
                return ConfirmOutcome(esc, False, packet)
            hold = _confirmable(uow, esc, packet_digest, now)
            decided = _decide(uow, deps, esc, hold, _invitation(planned.case, packet), user, now)
            uow.escalations.save(esc)
            uow.commit()
        carry_out(deps, esc.id)
        return ConfirmOutcome(esc, True, "confirmed", packet, effects_of(deps, (e.id for e in decided)))
    raise Conflict(f"escalation {escalation_id} kept changing while it was being confirmed; try again")


def _confirmable(uow: UnitOfWork, esc: Escalation, packet_digest: str, now: datetime) -> Hold:
    """The live hold on the reviewed slot, once every gate before the free/busy check has passed."""
    esc.require(Action.CONFIRM)
    if esc.review_slot is None:  # awaiting confirmation always has a reviewed slot; fail closed anyway
        raise IllegalTransition(esc.state, Action.CONFIRM)
    if not _names_packet(packet_digest, esc.packet_digest):
        raise Refused("that packet digest is not the reviewed one: copy it from `readout review`")
    slot = esc.review_slot
    hold = _live_hold(uow, esc, slot, now)
    if hold is None:
        raise Refused(f"the hold on {slot_text(slot)['start']} is no longer live: hold and review again")
    placing = [
        e for e in uow.effects.of(esc.id) if e.kind is EffectKind.PLACE_HOLD and e.payload["hold"] == hold.id
    ]
    if placing and placing[-1].status is not EffectStatus.DONE:
        raise Refused(
            f"the hold on {slot_text(slot)['start']} is recorded but not yet on {hold.calendar} "
            f"({placing[-1].last_error or 'being placed'}): run `readout reap` or try again shortly"
        )
    return hold


def _decide(
    uow: UnitOfWork,
    deps: Deps,
    esc: Escalation,
    hold: Hold,
    invitation: Invitation,
    user: User,
    now: datetime,
) -> list[Effect]:
    """The confirmation itself, with the intents it causes: the hold becomes the readout event, the
    invitation goes out, every other hold is released."""
    packet = invitation.packet
    uow.holds.update(hold.ended(HoldStatus.CONFIRMED, now, "confirmed"))
    esc.record(now, user.id, "hold_confirmed", {**slot_text(hold.slot), "reason": "confirmed"})
    decided = [confirm_effect(uow, hold, packet, now)]
    if deps.invites is None:
        esc.record(now, SYSTEM.id, "invite_not_sent", {"method": "REQUEST", "reason": NO_RELAY})
    else:
        decided.append(invitation_effect(uow, invitation, esc.id, now))
    for other in uow.holds.of(esc.id):
        if other.status is HoldStatus.LIVE and other.id != hold.id:
            decided.append(end_with_release(uow, esc, other, HoldStatus.RELEASED, now, user.id, "not chosen"))
    esc.confirmed_by, esc.confirmed_at = user.id, now
    waivers = [w.family for w in uow.waivers.of(esc.id) if w.slot == hold.slot]
    payload = {
        **slot_text(hold.slot),
        "packet_digest": packet.digest,
        "confirmed_by": user.name,
        "waivers": waivers,
        "invitation": "queued" if deps.invites is not None else "not sent: no SMTP relay configured",
    }
    esc.transition(Action.CONFIRM, now, user.id, payload)
    return decided


def _invitation(case: Case, packet: InvitePacket) -> Invitation:
    """The iMIP REQUEST for ``packet``, from the escalation manager (who organises the readout)."""
    organizer = case.people[case.roles["escalation_manager"] or ""]
    return Invitation(
        packet, "REQUEST", invitation_uid(case.escalation_id), 0, organizer.name, organizer.email
    )


def _names_packet(given: str, reviewed: str | None) -> bool:
    given = given.strip().lower()
    return reviewed is not None and len(given) >= 8 and reviewed.startswith(given)


def _recheck(
    planned: PlannedCase, waivers: list[Waiver], slot: Interval, reviewed_digest: str | None
) -> InvitePacket | str:
    """Whether a plan from fresh calendars still allows the slot with the reviewed packet: the packet to
    confirm, or what no longer holds."""
    still = next((e for e in eligible_slots(planned.plan, waivers) if e.slot == slot), None)
    if still is None:
        return "free/busy changed: the reviewed slot is no longer compliant"
    packet = build_packet(planned.case, slot, still.interpreter)
    if packet.digest != reviewed_digest:
        return "the invite packet changed since review (attendees, interpreter or times)"
    return packet


def cancel(deps: Deps, escalation_id: str, user_id: str, reason: str) -> CancelOutcome:
    """Cancel the readout: release every live hold; a confirmed readout is taken off the calendar and, when
    its invitation may have gone out, withdrawn with an iMIP CANCEL. An invitation not sent yet is dropped."""
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.CANCEL)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.CANCEL)
        decided = _withdraw_invitation(uow, deps, esc, now) if esc.state is State.CONFIRMED else []
        for effect in uow.effects.of(esc.id):
            if effect.kind is EffectKind.CONFIRM_HOLD and effect.status is EffectStatus.PENDING:
                uow.effects.update(
                    effect.given_up(now, "the readout was cancelled first", EffectStatus.DROPPED)
                )
        for hold in uow.holds.of(esc.id):
            if hold.status in (HoldStatus.LIVE, HoldStatus.CONFIRMED):
                decided.append(
                    end_with_release(
                        uow, esc, hold, HoldStatus.RELEASED, now, user.id, "escalation cancelled"
                    )
                )
        esc.transition(Action.CANCEL, now, user.id, {"reason": reason})
        uow.escalations.save(esc)
        uow.commit()
    carry_out(deps, esc.id)
    return CancelOutcome(esc, effects_of(deps, (e.id for e in decided)))


def _withdraw_invitation(uow: UnitOfWork, deps: Deps, esc: Escalation, now: datetime) -> list[Effect]:
    """A CANCEL when the REQUEST went out or may have; an unsent REQUEST is dropped instead."""
    requests = [
        e
        for e in uow.effects.of(esc.id)
        if e.kind is EffectKind.SEND_INVITATION and e.payload["method"] == "REQUEST"
    ]
    if not requests:
        return []  # nobody was invited (no relay at confirmation)
    request = requests[-1]
    if request.status is EffectStatus.PENDING:
        uow.effects.update(
            request.given_up(now, "the readout was cancelled before it went out", EffectStatus.DROPPED)
        )
        esc.record(
            now, SYSTEM.id, "invite_not_sent", {"method": "REQUEST", "reason": "cancelled before sending"}
        )
        return []
    if request.status is EffectStatus.FAILED:
        return []  # it never went out
    if deps.invites is None:
        esc.record(now, SYSTEM.id, "invite_not_sent", {"method": "CANCEL", "reason": NO_RELAY})
        return []
    return [invitation_effect(uow, cancellation_of(request), esc.id, now)]
