"""Carry out effects (the outbox) after the decision that wrote them was committed.

Each effect goes through three steps, and only the middle one touches the network:

1. *claim*, in a short transaction holding the escalation's row lock: the effect is still due, nothing decided
   before it for the same escalation is still being carried out, and it becomes ``in_flight`` with a lease;
2. *act*, outside any transaction: place, release or confirm a hold on its calendar, send an invitation, post
   to the leadership channel or send an e-mail notification;
3. *settle*, in a short transaction again: the outcome, the hold's calendar reference and an audit entry.

A process killed between 1 and 3 leaves an ``in_flight`` effect whose lease runs out: a calendar write is
simply carried out again (it is keyed and conditional), an invitation becomes ``uncertain`` and is never
re-sent automatically, so nobody gets it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from readout.domain.channel import ChannelMessage
from readout.domain.effects import Effect, EffectKind, EffectStatus, notification_message_id
from readout.domain.escalation import Escalation
from readout.domain.holds import Hold, HoldStatus
from readout.domain.invite import Invitation, InvitePacket, packet_from_dict
from readout.domain.lifecycle import Action, State
from readout.domain.users import SYSTEM
from readout.errors import Conflict, NotFound, RateLimited, ReadoutError, SlotTaken, SourceUnavailable
from readout.observability import channel_failed, effect_settled
from readout.presentation import times
from readout.services.context import Deps, load_escalation, slot_text
from readout.services.ports import UnitOfWork

__all__ = [
    "LEASE",
    "Carried",
    "cancellation_of",
    "carry_out",
    "confirm_effect",
    "effects_of",
    "invitation_effect",
    "notify_effect",
    "place_effect",
    "release_effect",
]

_SETTLE_WAIT, _SETTLE_POLL = 3.0, 0.05  # seconds: waiting for an effect another process is carrying out

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_ROUNDS = 3  # passes over due effects in one run (effects decided while settling run in the next pass)
LEASE = timedelta(minutes=2)  # longer than any one calendar or SMTP call is allowed to take
_EXPIRED_OR_GONE = "the hold is no longer live: nothing to place"


@dataclass
class Carried:
    """What one run leaves to its caller: escalations that must be planned again."""

    replan: dict[str, str] = field(default_factory=dict)  # escalation id -> why


# Writing intents (inside the deciding transaction) ---------------------------------------------------------


def place_effect(uow: UnitOfWork, hold: Hold, shown_in: ZoneInfo | None, batch: str, now: datetime) -> Effect:
    """Intent: put ``hold`` on every calendar it goes on, all or none (``batch`` names the holds placed by one
    command; ``shown_in``: the contract zone its slot is shown in)."""
    payload = {**_where(hold, shown_in), "batch": batch}
    return _add(uow, hold.escalation_id, EffectKind.PLACE_HOLD, f"place:{hold.id}", payload, now)


def release_effect(uow: UnitOfWork, hold: Hold, now: datetime) -> Effect:
    """Intent: take ``hold`` (or the readout event it became) off every calendar it is on."""
    return _add(
        uow, hold.escalation_id, EffectKind.RELEASE_HOLD, f"release:{hold.id}", _where(hold, None), now
    )


def confirm_effect(uow: UnitOfWork, hold: Hold, packet: InvitePacket, now: datetime) -> Effect:
    """Intent: turn ``hold`` into the confirmed readout event described by ``packet``."""
    payload = {**_where(hold, None), "packet": packet.as_dict()}
    return _add(uow, hold.escalation_id, EffectKind.CONFIRM_HOLD, f"confirm:{hold.id}", payload, now)


def invitation_effect(uow: UnitOfWork, invitation: Invitation, escalation_id: str, now: datetime) -> Effect:
    """Intent: send the iMIP ``invitation`` (one per readout, method and sequence)."""
    payload = {
        "method": invitation.method,
        "uid": invitation.uid,
        "sequence": invitation.sequence,
        "organizer_name": invitation.organizer_name,
        "organizer_email": invitation.organizer_email,
        "packet": invitation.packet.as_dict(),
    }
    key = f"invite:{invitation.uid}:{invitation.method}:{invitation.sequence}"
    return _add(uow, escalation_id, EffectKind.SEND_INVITATION, key, payload, now)


def notify_effect(
    uow: UnitOfWork,
    escalation_id: str,
    key: str,
    to: Iterable[str],
    mail: tuple[str, str],
    audit: tuple[str, dict[str, Any]],
    now: datetime,
) -> Effect | None:
    """Intent: e-mail the users ``to`` (ids; their addresses are looked up when it is sent) the ``mail``
    (subject, body); once sent, the audit entry ``audit`` (kind, payload) is recorded with the recipients'
    ids. None when nobody is to be told. ``key`` makes it once per intent."""
    recipients = sorted(set(to))
    if not recipients:
        return None
    payload = {
        "to": recipients,
        "subject": mail[0],
        "body": mail[1],
        "audit": audit[0],
        "about": audit[1],
    }
    return _add(uow, escalation_id, EffectKind.NOTIFY_EMAIL, key, payload, now)


def _where(hold: Hold, shown_in: ZoneInfo | None) -> dict[str, Any]:
    """Which hold, and (for people reading the outbox) its slot and calendars; a hold kept in the ledger only
    names none."""
    calendars = [p.calendar for p in hold.targets if p.on_a_calendar]
    where: dict[str, Any] = {
        "hold": hold.id,
        "start": slot_text(hold.slot)["start"],
        "calendar": calendars[0] if calendars else None,
        "calendars": calendars,
        "ledger_only": hold.ledger_only,
    }
    if shown_in is not None:
        where["local"] = times.slot(hold.slot.start, hold.slot.end, shown_in.key)  # city, then UTC
    return where


def _add(
    uow: UnitOfWork, escalation_id: str, kind: EffectKind, key: str, payload: dict[str, Any], now: datetime
) -> Effect:
    effect = Effect(0, escalation_id, kind, key, payload, now)
    added = uow.effects.add(effect)
    if added is not None:
        return added
    return next(e for e in uow.effects.of(escalation_id) if e.key == key)  # written before: the same intent


def effects_of(deps: Deps, ids: Iterable[int], wait: float = _SETTLE_WAIT) -> tuple[Effect, ...]:
    """The effects with these ids as stored after a run, in id order. One that another process is carrying
    out at this moment (two commands on one escalation at once each carry out all its due effects) is waited
    for, up to ``wait`` seconds of real time, so that a command does not report as pending what is being done;
    after that it is reported as it stands."""
    wanted = sorted(set(ids))
    give_up = time.monotonic() + wait
    while True:
        with deps.uow() as uow:
            found = tuple(e for e in (uow.effects.get(i) for i in wanted) if e is not None)
        if time.monotonic() >= give_up or not any(e.status is EffectStatus.IN_FLIGHT for e in found):
            return found
        time.sleep(_SETTLE_POLL)


# Carrying them out -----------------------------------------------------------------------------------------


def carry_out(deps: Deps, escalation_id: str | None = None) -> Carried:
    """Carry out every due effect (of one escalation, or all), oldest first; failures wait for a retry."""
    carried = Carried()
    tried: set[int] = set()
    for _ in range(_ROUNDS):  # carrying out may decide more (a refused hold's placements to take off)
        now = deps.clock()
        with deps.uow() as uow:
            due = [e for e in uow.effects.due(now, escalation_id) if e.id not in tried]
        if not due:
            break
        for effect in due:
            tried.add(effect.id)
            try:
                _one(deps, effect.id, effect.escalation_id, carried)
            except Conflict as clash:  # another runner moved the escalation meanwhile: picked up again later
                log.info("effect %s left for the next run: %s", effect.id, clash)
    return carried


def _one(deps: Deps, effect_id: int, escalation_id: str, carried: Carried) -> None:
    claimed = _claim(deps, effect_id, escalation_id)
    if claimed is None:
        return
    effect, hold = claimed
    try:
        result = _act(deps, effect, hold)
    except SlotTaken as taken:
        _settle(deps, effect, carried, refused=taken)
    except ReadoutError as failure:
        _settle(deps, effect, carried, failure=failure)
    else:
        _settle(deps, effect, carried, result=result)


def _claim(deps: Deps, effect_id: int, escalation_id: str) -> tuple[Effect, Hold | None] | None:
    """Step 1: take the effect (under the escalation's row lock), or settle it at once when nothing is left
    to do; None when there is nothing to carry out now."""
    now = deps.clock()
    with deps.uow() as uow:
        esc = load_escalation(uow, escalation_id)
        effect = uow.effects.get(effect_id)
        if effect is None or not effect.due(now) or _earlier_in_flight(uow, effect, now):
            return None
        if _first_post_pending(uow, effect):  # not an attempt: it follows its first post, which is not out
            return None
        hold = _hold(uow, effect)
        if effect.status is EffectStatus.IN_FLIGHT and not effect.kind.repeatable:
            why = "the process sending it stopped before recording the outcome: it may have gone out"
            uow.effects.update(effect.given_up(now, why, EffectStatus.UNCERTAIN))
            _record(esc, now, "invite_uncertain", {"method": effect.payload["method"], "reason": why})
            _commit(uow, esc)
            effect_settled(effect.kind.value, "failed")
            return None
        if effect.kind is EffectKind.PLACE_HOLD and (hold is None or not hold.is_live(now)):
            uow.effects.update(effect.done(now, {"skipped": _EXPIRED_OR_GONE}))
            _commit(uow, esc)
            return None
        effect = effect.claimed(now, LEASE)
        uow.effects.update(effect)
        uow.commit()
        return effect, hold


def _earlier_in_flight(uow: UnitOfWork, effect: Effect, now: datetime) -> bool:
    """An earlier effect of the escalation is being carried out by someone: keep the decided order."""
    return any(
        e.id < effect.id and e.status is EffectStatus.IN_FLIGHT and e.lease_until and e.lease_until > now
        for e in uow.effects.of(effect.escalation_id)
    )


def _first_post_pending(uow: UnitOfWork, effect: Effect) -> bool:
    """An update or a thread reply whose topic's first post is written but not delivered yet: left for a
    later run without counting an attempt (another runner may be posting it right now)."""
    if effect.kind is EffectKind.CHANNEL_UPDATE:
        topic = effect.payload.get("topic")
    elif effect.kind is EffectKind.CHANNEL_POST and effect.payload.get("thread"):
        topic = effect.payload.get("thread")
    else:
        return False
    return any(
        e.kind is EffectKind.CHANNEL_POST
        and e.payload.get("topic") == topic
        and not e.payload.get("thread")
        and e.open
        for e in uow.effects.of(effect.escalation_id)
    )


def _hold(uow: UnitOfWork, effect: Effect) -> Hold | None:
    hold_id = effect.payload.get("hold")
    return next((h for h in uow.holds.of(effect.escalation_id) if h.id == hold_id), None)


def _act(deps: Deps, effect: Effect, hold: Hold | None) -> dict[str, Any]:
    """Step 2, the only network call: what the calendar, relay or channel gave back."""
    if effect.kind in (EffectKind.CHANNEL_POST, EffectKind.CHANNEL_UPDATE):
        return _to_channel(deps, effect)
    if effect.kind is EffectKind.NOTIFY_EMAIL:
        return _notify(deps, effect)
    if effect.kind is EffectKind.SEND_INVITATION:
        if deps.invites is None:
            raise ReadoutError("no SMTP relay is configured (READOUT_SMTP_HOST): not sent")
        invitation = _invitation(effect.payload)
        deps.invites.send(invitation)
        return {"to": [a.email for a in invitation.packet.attendees]}
    if hold is None:
        raise NotFound(f"hold {effect.payload.get('hold')} is not in the ledger")
    refs: dict[str, str | None] = {}
    if effect.kind is EffectKind.PLACE_HOLD:
        for place in hold.targets:  # SlotTaken on any: settling ends the hold and takes off what was placed
            zone = place.zone or effect.payload.get("zone")  # an older intent carried the organizer's zone
            refs[place.calendar] = deps.holds.place(hold.on(place), ZoneInfo(zone) if zone else None)
        return {"refs": refs}
    if effect.kind is EffectKind.CONFIRM_HOLD:
        packet = packet_from_dict(effect.payload["packet"])
        for place in hold.targets:
            refs[place.calendar] = deps.holds.confirm(hold.on(place), packet)
        return {"refs": refs}
    _release_everywhere(deps, hold)
    return {}


def _to_channel(deps: Deps, effect: Effect) -> dict[str, Any]:
    """Post or update a leadership channel message. An update, or a reply in a thread, needs its topic's
    first post delivered: until it is, this fails for a passing reason and is retried (the decided order)."""
    if deps.channel is None:
        raise SourceUnavailable("the leadership channel", "no channel is configured (READOUT_SLACK_*)")
    message = ChannelMessage.from_payload(effect.payload["message"])
    channel = deps.channel
    if effect.kind is EffectKind.CHANNEL_UPDATE:
        ref = _first_post(deps, effect, effect.payload["topic"])
        _channel_call(lambda: channel.update(ref, message))
        return {"ref": ref}
    thread = effect.payload.get("thread")
    parent = _first_post(deps, effect, thread) if thread else None
    posted = _channel_call(
        lambda: channel.post(message, key=effect.key, thread=parent, retry=effect.attempts > 1)
    )
    return {"ref": posted}


def _channel_call(call: Callable[[], _T]) -> _T:
    """One call to the channel, its failure counted by kind (the channel errors metric)."""
    try:
        return call()
    except RateLimited:
        channel_failed("rate_limited")
        raise
    except SourceUnavailable:
        channel_failed("unavailable")
        raise
    except ReadoutError:
        channel_failed("rejected")
        raise


def _notify(deps: Deps, effect: Effect) -> dict[str, Any]:
    """Send an e-mail notification to its recipients' current addresses (from the users store); a user
    removed since, or without an address, is left out. Every attempt carries the same Message-ID."""
    if deps.notifier is None:
        raise SourceUnavailable("the mail relay", "no SMTP relay is configured (READOUT_SMTP_HOST): not sent")
    with deps.look() as uow:
        found = [(uid, uow.users.get(uid)) for uid in effect.payload.get("to", [])]
    reached = [(uid, user.email) for uid, user in found if user is not None and user.email]
    if not reached:
        return {"skipped": "none of its recipients has an e-mail address in Readout", "to": []}
    deps.notifier.send(
        [address for _, address in reached],
        str(effect.payload["subject"]),
        str(effect.payload["body"]),
        notification_message_id(effect.key),
    )
    return {"to": [uid for uid, _ in reached]}


def _first_post(deps: Deps, effect: Effect, topic: str) -> str:
    """The channel's reference of ``topic``'s top-level post (a done ``CHANNEL_POST`` without a thread)."""
    with deps.look() as uow:
        for earlier in uow.effects.of(effect.escalation_id):
            if (
                earlier.kind is EffectKind.CHANNEL_POST
                and earlier.payload.get("topic") == topic
                and not earlier.payload.get("thread")
                and earlier.status is EffectStatus.DONE
                and earlier.result.get("ref")
            ):
                return str(earlier.result["ref"])
    raise SourceUnavailable("the leadership channel", f"the first message of {topic} is not posted yet")


def _release_everywhere(deps: Deps, hold: Hold) -> None:
    """Take the hold off every calendar it is on, trying each; then raise what went wrong, a passing failure
    before a refusal (so the retry comes first and a refusal stays final)."""
    failures: list[ReadoutError] = []
    for place in hold.targets:
        try:
            deps.holds.release(hold.on(place))
        except ReadoutError as failure:
            failures.append(failure)
    if failures:
        raise min(failures, key=lambda f: isinstance(f, Conflict | NotFound))


def cancellation_of(request: Effect) -> Invitation:
    """The iMIP CANCEL withdrawing the invitation ``request`` sent (same UID and organizer; a higher
    SEQUENCE supersedes it, RFC 5546), built from what was sent rather than from today's case file."""
    sent = _invitation(request.payload)
    return replace(sent, method="CANCEL", sequence=sent.sequence + 1)


def _invitation(payload: dict[str, Any]) -> Invitation:
    return Invitation(
        packet_from_dict(payload["packet"]),
        payload["method"],
        payload["uid"],
        payload["sequence"],
        payload["organizer_name"],
        payload["organizer_email"],
    )


def _settle(
    deps: Deps,
    effect: Effect,
    carried: Carried,
    *,
    result: dict[str, Any] | None = None,
    refused: SlotTaken | None = None,
    failure: ReadoutError | None = None,
) -> None:
    """Step 3: record the outcome with its audit entry (and the hold's new calendar reference)."""
    now = deps.clock()
    with deps.uow() as uow:
        esc = load_escalation(uow, effect.escalation_id)
        current = uow.effects.get(effect.id)
        if (
            current is None
            or current.status is not EffectStatus.IN_FLIGHT
            or current.attempts != effect.attempts
        ):
            return  # someone else settled it (our lease ran out): theirs stands
        hold = _hold(uow, effect)
        if refused is not None:
            _slot_taken(uow, esc, effect, hold, str(refused), carried, now)
            outcome = "refused"
        elif failure is not None:
            outcome = _failed(uow, esc, effect, hold, failure, now)
        else:
            _succeeded(uow, esc, effect, hold, result or {}, now)
            outcome = "delivered"
        _commit(uow, esc)
    effect_settled(effect.kind.value, outcome)  # counted once committed


_DONE_ENTRIES: dict[EffectKind, str] = {
    EffectKind.PLACE_HOLD: "hold_on_calendar",
    EffectKind.RELEASE_HOLD: "hold_off_calendar",
    EffectKind.CONFIRM_HOLD: "readout_on_calendar",
    EffectKind.SEND_INVITATION: "invite_sent",
    EffectKind.CHANNEL_POST: "channel_posted",
    EffectKind.CHANNEL_UPDATE: "channel_updated",
    EffectKind.NOTIFY_EMAIL: "notification_sent",  # unless the intent names its own entry
}


def _succeeded(
    uow: UnitOfWork,
    esc: Escalation,
    effect: Effect,
    hold: Hold | None,
    result: dict[str, Any],
    now: datetime,
) -> None:
    if effect.kind in (EffectKind.CHANNEL_POST, EffectKind.CHANNEL_UPDATE):
        uow.effects.update(effect.done(now, result))
        told = {"topic": effect.payload.get("topic"), "ref": result.get("ref")}
        if effect.kind is EffectKind.CHANNEL_POST and effect.payload.get("thread"):
            told["in_thread"] = True
        _record(esc, now, _DONE_ENTRIES[effect.kind], told)
        return
    if effect.kind is EffectKind.NOTIFY_EMAIL:  # the audit names recipients by user id, never by address
        uow.effects.update(effect.done(now, result))
        if not result.get("skipped"):
            entry = str(effect.payload.get("audit") or _DONE_ENTRIES[effect.kind])
            _record(esc, now, entry, {**effect.payload.get("about", {}), "to": result.get("to", [])})
        return
    if effect.kind is EffectKind.SEND_INVITATION:
        uow.effects.update(effect.done(now, result))
        payload = {
            "method": effect.payload["method"],
            "sequence": effect.payload["sequence"],
            "to": result.get("to", []),
            "packet_digest": packet_from_dict(effect.payload["packet"]).digest,
        }
        _record(esc, now, _DONE_ENTRIES[effect.kind], payload)
        return
    refs = result.get("refs", {})
    if hold is not None and refs:
        hold = hold.with_refs(refs)
        uow.holds.update(hold)
    written = _written(hold, effect, refs)
    if not written:  # nothing was written anywhere: never recorded as if it were on someone's calendar
        uow.effects.update(effect.done(now, {"ledger_only": True}))
        return
    uow.effects.update(effect.done(now, {"calendars": written}))
    payload = {**slot_text(hold.slot)} if hold else {}
    _record(esc, now, _DONE_ENTRIES[effect.kind], {**payload, "calendar": written[0], "calendars": written})


def _written(hold: Hold | None, effect: Effect, refs: dict[str, str | None]) -> list[str]:
    """The calendars the effect wrote to: where placing or confirming gave back a reference, or (releasing)
    where the hold had been written or was to be. A calendar kept in the ledger only gives back none."""
    if hold is None:
        return []
    if effect.kind is EffectKind.RELEASE_HOLD:
        return [p.calendar for p in hold.targets if p.ref is not None or p.on_a_calendar]
    return [calendar for calendar, ref in refs.items() if ref is not None]


def _failed(
    uow: UnitOfWork,
    esc: Escalation,
    effect: Effect,
    hold: Hold | None,
    failure: ReadoutError,
    now: datetime,
) -> str:
    """A passing failure waits for a retry; a refusal (someone changed the event, a recipient refused) or the
    last attempt is a dead letter, recorded for a human. The outcome: ``retrying`` or ``failed``."""
    detail = str(failure)
    final = isinstance(failure, Conflict | NotFound) or _partly_sent(failure)
    asked = timedelta(seconds=failure.retry_after) if isinstance(failure, RateLimited) else None
    settled = effect.given_up(now, detail) if final else effect.retry_later(now, detail, asked)
    uow.effects.update(settled)
    if settled.status is EffectStatus.PENDING:
        return "retrying"
    what = {"kind": effect.kind.value, "reason": detail}
    if hold is not None:
        what |= slot_text(hold.slot)
    _record(esc, now, "effect_failed", what)
    if effect.kind is EffectKind.PLACE_HOLD and hold is not None and hold.status is HoldStatus.LIVE:
        _end_unplaced(uow, esc, hold, "could not be placed on the calendar", now)
    return "failed"


def _partly_sent(failure: ReadoutError) -> bool:
    return type(failure).__name__ == "InvitePartlySent"  # some recipients have it: never send it again


def _slot_taken(
    uow: UnitOfWork,
    esc: Escalation,
    effect: Effect,
    hold: Hold | None,
    why: str,
    carried: Carried,
    now: datetime,
) -> None:
    """The calendar refused a hold: end every hold placed by the same command and plan again."""
    uow.effects.update(effect.done(now, {"refused": why}))
    batch = effect.payload.get("batch")
    for other in uow.effects.of(esc.id):
        if other.kind is not EffectKind.PLACE_HOLD or other.payload.get("batch") != batch:
            continue
        sibling = _hold(uow, other)
        if sibling is None or sibling.status is not HoldStatus.LIVE:
            continue
        if other.id == effect.id:
            _end_unplaced(uow, esc, sibling, "slot taken while placing holds", now)
        else:
            end_with_release(
                uow, esc, sibling, HoldStatus.RELEASED, now, SYSTEM.id, "slot taken while placing holds"
            )
    _record(esc, now, "hold_conflict", {"detail": why})
    carried.replan[esc.id] = f"slot taken while placing holds: {why}"


def _end_unplaced(uow: UnitOfWork, esc: Escalation, hold: Hold, reason: str, now: datetime) -> None:
    """End a hold that did not reach (all of) its calendars. One on several calendars may be on some of them
    already: the intent to take it off those is written with it (all or nothing); one on a single calendar
    is on none, so nothing is left to take off."""
    if len(hold.targets) > 1:
        end_with_release(uow, esc, hold, HoldStatus.RELEASED, now, SYSTEM.id, reason)
    else:
        uow.holds.update(hold.ended(HoldStatus.RELEASED, now, reason))
        _record(esc, now, "hold_released", {**slot_text(hold.slot), "reason": reason})
    after_hold_loss(uow, esc, now)


def end_with_release(
    uow: UnitOfWork, esc: Escalation, hold: Hold, status: HoldStatus, now: datetime, who: str, reason: str
) -> Effect:
    """End ``hold`` in the ledger and write the intent to take it off its calendar (decide, then act)."""
    uow.holds.update(hold.ended(status, now, reason))
    kind = "hold_expired" if status is HoldStatus.EXPIRED else "hold_released"
    esc.record(now, who, kind, {**slot_text(hold.slot), "reason": reason})
    return release_effect(uow, hold, now)


def after_hold_loss(uow: UnitOfWork, esc: Escalation, now: datetime) -> None:
    """Back to planned when a held escalation has no live hold left."""
    live = [h for h in uow.holds.of(esc.id) if h.is_live(now)]
    if esc.state in (State.HELD, State.AWAITING_CONFIRMATION) and not live:
        esc.review_slot = esc.review_interpreter = esc.packet_digest = None
        esc.transition(
            Action.HOLDS_LOST, now, SYSTEM.id, {"reason": "no live hold left: hold again or re-plan"}
        )


def _record(esc: Escalation, now: datetime, kind: str, payload: dict[str, Any]) -> None:
    esc.record(now, SYSTEM.id, kind, payload)


def _commit(uow: UnitOfWork, esc: Escalation) -> None:
    uow.escalations.save(esc)
    uow.commit()
