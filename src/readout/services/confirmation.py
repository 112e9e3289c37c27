"""Use cases: review a held slot's invite packet, confirm it (a named human's commitment), cancel.

Confirmation fails closed: it needs a live hold, the packet the human reviewed, and a fresh free/busy check.
If anything changed, the escalation goes back to planning and nothing is confirmed: the outcome says who
became busy (name, role, their local time) or which family now blocks the slot (``refusals.slot_obstacles``)
and the exact commands that go on (review another slot still held, hold again, plan again). A refused review
or confirmation is recorded in the audit trail (``refusals.recorded_refusals``).
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
from readout.domain.intervals import Interval, utc_text
from readout.domain.invite import Invitation, InvitePacket, build_packet, invitation_uid
from readout.domain.lifecycle import Action, IllegalTransition, State
from readout.domain.users import SYSTEM, Permission, User
from readout.errors import Conflict, Refused
from readout.services import announcements
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
from readout.services.refusals import local_slot, recorded_refusals, slot_obstacles

__all__ = [
    "MIN_DIGEST",
    "NO_RELAY",
    "CancelOutcome",
    "ConfirmOutcome",
    "Review",
    "cancel",
    "confirm",
    "review",
]

NO_RELAY = "no SMTP relay configured (READOUT_SMTP_HOST)"
MIN_DIGEST = 8  # characters of the packet digest a confirmation must give
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
    invitation by the time the command ended. A refusal also says what now blocks the slot (``obstacles``:
    who became busy, in their local time, or which family) and the commands that go on (``next_steps``)."""

    escalation: Escalation
    confirmed: bool
    reason: str
    packet: InvitePacket | None = None
    effects: tuple[Effect, ...] = ()
    obstacles: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()


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
    """Select a held slot and prepare its invite packet for review (no invite is sent). A refused review is
    recorded in the audit trail."""
    with recorded_refusals(deps, escalation_id, user_id, "review"):
        return _review(deps, escalation_id, user_id, start)


def _review(deps: Deps, escalation_id: str, user_id: str, start: datetime) -> Review:
    now = deps.clock()
    with deps.uow() as uow:
        user = actor(uow, user_id, Permission.REVIEW)
        esc = load_escalation(uow, escalation_id)
        esc.require(Action.REVIEW)
        chosen = _eligible_at(uow, esc, start)
        if chosen is None or _live_hold(uow, esc, chosen.slot, now) is None:
            raise Refused(
                f"review a slot that is eligible and held live: `readout status {esc.id}` lists them, "
                f"`readout hold {esc.id} --as {user.id}` holds the best ones"
            )
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
        announcements.reviewed(deps, uow, esc, chosen.slot, user, now)
        uow.commit()
        holds = tuple(h for h in uow.holds.of(esc.id) if h.is_live(now))
        return Review(esc, chosen, packet, waivers, holds)


def confirm(deps: Deps, escalation_id: str, user_id: str, packet_digest: str) -> ConfirmOutcome:
    """Confirm the reviewed slot after a fresh free/busy check; release every other hold.

    ``packet_digest`` (or its first 8+ characters) names the reviewed invite packet: the confirming person
    commits to exactly what was shown at review. The calendars are read outside any transaction; the decision
    is written only if nobody changed the escalation meanwhile (else it is checked again). The calendar event
    and the invitation are carried out after the decision is committed (``services.effects``). A refusal by a
    gate (role, digest, hold) is recorded in the audit trail and changes nothing else.
    """
    with recorded_refusals(deps, escalation_id, user_id, "confirm"):
        return _confirm(deps, escalation_id, user_id, packet_digest)


def _confirm(deps: Deps, escalation_id: str, user_id: str, packet_digest: str) -> ConfirmOutcome:
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
        obstacles = (
            slot_obstacles(deps, planned, waivers, esc.review_interpreter, slot)
            if isinstance(packet, str)
            else ()
        )
        with deps.uow() as uow:
            user = actor(uow, user_id, Permission.CONFIRM)
            esc = load_escalation(uow, escalation_id)
            if esc.version != version:
                continue  # something happened meanwhile (a hold expired, an effect settled): check again
            if isinstance(packet, str):
                reason = f"{packet}: {'; '.join(obstacles)}" if obstacles else packet
                steps = _send_back(uow, esc, planned, user, now, reason, obstacles)
                uow.escalations.save(esc)
                announcements.holds_ended(deps, uow, esc, SYSTEM, now)  # told in the thread they were held in
                announcements.requests_changed(deps, uow, esc, now)
                uow.commit()
                carry_out(deps, esc.id)
                return ConfirmOutcome(esc, False, reason, obstacles=obstacles, next_steps=steps)
            hold = _confirmable(uow, esc, packet_digest, now)
            decided = _decide(uow, deps, esc, hold, _invitation(planned.case, packet), user, now)
            uow.escalations.save(esc)
            announcements.confirmed(deps, uow, esc, hold.slot, user, len(packet.attendees), now)
            uow.commit()
        carry_out(deps, esc.id)
        return ConfirmOutcome(esc, True, "confirmed", packet, effects_of(deps, (e.id for e in decided)))
    raise Conflict(f"escalation {escalation_id} kept changing while it was being confirmed; try again")


def _confirmable(uow: UnitOfWork, esc: Escalation, packet_digest: str, now: datetime) -> Hold:
    """The live hold on the reviewed slot, once every gate before the free/busy check has passed."""
    esc.require(Action.CONFIRM)
    if esc.review_slot is None:  # awaiting confirmation always has a reviewed slot; fail closed anyway
        raise IllegalTransition(esc.state, Action.CONFIRM)
    _check_packet(esc, packet_digest)
    slot = esc.review_slot
    hold = _live_hold(uow, esc, slot, now)
    if hold is None:
        raise Refused(
            f"the hold on {slot_text(slot)['start']} is no longer live: `readout hold {esc.id} --as USER` "
            f"holds again, then `readout review {esc.id} --slot START --as USER`"
        )
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


def _check_packet(esc: Escalation, given: str) -> None:
    """Refused unless ``given`` is at least MIN_DIGEST characters of the reviewed packet's digest."""
    given = given.strip().lower()
    again = f"copy it from `readout review {esc.id} --slot START --as USER`"
    if len(given) < MIN_DIGEST:
        raise Refused(
            f"packet digest {given[:16]!r} is too short: give at least {MIN_DIGEST} characters of the "
            f"reviewed packet's digest ({again})"
        )
    if esc.packet_digest is None or not esc.packet_digest.startswith(given):
        raise Refused(
            f"packet digest {given[:16]!r} is not the reviewed one (stale: another slot was reviewed since, "
            f"or mistyped): {again}"
        )


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


def _send_back(
    uow: UnitOfWork,
    esc: Escalation,
    planned: PlannedCase,
    user: User,
    now: datetime,
    reason: str,
    obstacles: tuple[str, ...],
) -> tuple[str, ...]:
    """A confirmation the fresh check refused: the review no longer stands (status stops showing it), the
    attempt and what blocks the slot are recorded, the fresh plan is applied; the commands that go on."""
    slot = esc.review_slot
    esc.review_slot = esc.review_interpreter = esc.packet_digest = None
    esc.record(
        now,
        user.id,
        "confirmation_refused",
        {**(slot_text(slot) if slot else {}), "reason": reason, "obstacles": list(obstacles)},
    )
    apply_replan(uow, esc, planned, SYSTEM, now, f"confirmation refused: {reason}")
    return _next_steps(uow, esc, planned.case, user, now)


def _next_steps(uow: UnitOfWork, esc: Escalation, case: Case, user: User, now: datetime) -> tuple[str, ...]:
    """What to run after a refused confirmation, as typed: the slots still held, hold again, plan again."""
    steps: list[str] = []
    if esc.state is State.PLANNED:
        plan = uow.plans.latest(esc.id)
        eligible = {e.slot for e in eligible_slots(plan, uow.waivers.of(esc.id))} if plan else set()
        for hold in uow.holds.of(esc.id):
            if hold.is_live(now) and hold.slot in eligible:
                steps.append(
                    f"`readout review {esc.id} --slot {utc_text(hold.slot.start)} --as {user.id}`: review "
                    f"a slot still held ({local_slot(hold.slot, case.customer_zone, with_utc=True)})"
                )
        steps.append(f"`readout hold {esc.id} --as {user.id}`: hold again (the best eligible slots)")
    elif esc.state in (State.EXCEPTION_REQUESTED, State.ESCALATED):
        deciders = "the waiver approvers" if esc.state is State.EXCEPTION_REQUESTED else "support leadership"
        steps.append(
            f"`readout status {esc.id}`: no slot complies any more; the exception request waits for "
            f"{deciders}, who run `readout approve {esc.id} --slot START --reason TEXT --as USER` or "
            f"`readout reject {esc.id} --reason TEXT --as USER`"
        )
    steps.append(f"`readout plan {esc.id} --as {user.id}`: plan again from fresh calendars")
    return tuple(steps)


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
        announcements.cancelled(deps, uow, esc, user, reason, bool(esc.confirmed_at), now)
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
