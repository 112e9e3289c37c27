"""Plain-data views of workflow objects, for JSON output, exports and the review screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from readout.domain.audit import AuditEntry
from readout.domain.effects import Effect, EffectKind, EffectStatus
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import LEDGER_ONLY, Hold, HoldStatus
from readout.domain.intervals import utc_text

if TYPE_CHECKING:
    from readout.services.confirmation import Review

__all__ = [
    "audit_view",
    "effect_sentence",
    "effect_view",
    "effects_pending",
    "escalation_view",
    "hold_view",
    "hold_where",
    "request_view",
    "review_view",
    "waiver_view",
]

_WHAT: dict[EffectKind, str] = {
    EffectKind.PLACE_HOLD: "put the hold{slot} on {calendar}",
    EffectKind.RELEASE_HOLD: "take the hold{slot} off {calendar}",
    EffectKind.CONFIRM_HOLD: "turn the hold{slot} into the readout event on {calendar}",
    EffectKind.SEND_INVITATION: "send the invitation ({method}) to {to}",
    EffectKind.CHANNEL_POST: "post a message to the leadership channel{slot}",
    EffectKind.CHANNEL_UPDATE: "update the leadership channel's message in place{slot}",
    EffectKind.NOTIFY_EMAIL: "e-mail {to} ({subject})",
}
# The same intents for a hold kept in Readout's ledger only: nothing is written to anybody's calendar.
_IN_LEDGER: dict[EffectKind, str] = {
    EffectKind.PLACE_HOLD: "the hold{slot} is " + LEDGER_ONLY,
    EffectKind.RELEASE_HOLD: "the hold{slot} is released in Readout's ledger (it was on nobody's calendar)",
    EffectKind.CONFIRM_HOLD: "the readout{slot} is recorded in Readout's ledger only: on nobody's calendar",
}
_STANDING: dict[EffectStatus, str] = {
    EffectStatus.DONE: "done",
    EffectStatus.PENDING: "not done yet, will be retried by `readout worker` (or `readout reap`)",
    EffectStatus.IN_FLIGHT: "being carried out",
    EffectStatus.FAILED: "FAILED, not retried: a person must act",
    EffectStatus.UNCERTAIN: "UNCERTAIN: it may have gone out; not re-sent automatically, ask the attendees",
    EffectStatus.DROPPED: "not needed any more",
}


def escalation_view(esc: Escalation) -> dict[str, Any]:
    """The escalation's stored fields (never the internal summary: it is not stored)."""
    return {
        "id": esc.id,
        "state": esc.state.value,
        "customer": esc.customer_id,
        "opened_at": utc_text(esc.opened_at),
        "approved_at": utc_text(esc.approved_at),
        "deadline": utc_text(esc.deadline),
        "first_viable_at": utc_text(esc.first_viable_at),
        "review_slot": None
        if esc.review_slot is None
        else {"start": utc_text(esc.review_slot.start), "end": utc_text(esc.review_slot.end)},
        "packet_digest": esc.packet_digest,
        "confirmed_by": esc.confirmed_by,
        "confirmed_at": utc_text(esc.confirmed_at),
        "audit_entries": esc.audit_seq,
    }


def hold_where(hold: Hold) -> str:
    """Where a hold is, in words: ``on the calendars of dana, ravi``, ``kept in Readout's ledger only: on
    nobody's calendar`` (never a person's name for a hold on no calendar), ``not yet on ...`` for calendars it
    is still to be placed on, ``was on ...`` once it ended."""
    written = [p for p in hold.targets if p.on_a_calendar or p.ref is not None]
    if not written:
        return LEDGER_ONLY
    on = [p.person or p.calendar for p in written if p.ref is not None]
    pending = [p.person or p.calendar for p in written if p.ref is None]
    if hold.status not in (HoldStatus.LIVE, HoldStatus.CONFIRMED):
        return f"was {_calendars_of(on + pending)}"
    if not pending:
        return _calendars_of(on)
    if not on:
        return f"not yet {_calendars_of(pending)}"
    return f"{_calendars_of(on)}; not yet {_calendars_of(pending)}"


def _calendars_of(people: list[str]) -> str:
    return f"on the calendar{'s' if len(people) > 1 else ''} of {', '.join(people)}"


def hold_view(hold: Hold) -> dict[str, Any]:
    """One hold of the ledger. ``calendar`` is None for a hold kept in the ledger only; ``calendars`` lists
    every calendar it goes on (with whose it is); ``where`` says it in words."""
    written = [p for p in hold.targets if p.on_a_calendar or p.ref is not None]
    return {
        "uid": hold.uid,
        "start": utc_text(hold.slot.start),
        "end": utc_text(hold.slot.end),
        "calendar": written[0].calendar if written else None,
        "calendars": [
            {"calendar": p.calendar, "person": p.person, "placed": p.ref is not None} for p in written
        ],
        "ledger_only": not written,
        "where": hold_where(hold),
        "status": hold.status.value,
        "placed_at": utc_text(hold.placed_at),
        "expires_at": utc_text(hold.expires_at),
        "ended_at": utc_text(hold.ended_at),
        "end_reason": hold.end_reason,
    }


def request_view(request: ExceptionRequest) -> dict[str, Any]:
    """One exception request with its decision."""
    return {
        "id": request.id,
        "route": request.route.value,
        "requested_at": utc_text(request.requested_at),
        "requested_by": request.requested_by,
        "reason": request.reason,
        "causes": list(request.causes),
        "deadline": utc_text(request.deadline),
        "options": [
            {"start": utc_text(o.slot.start), "end": utc_text(o.slot.end), "waivers": list(o.waivers)}
            for o in request.options
        ],
        "decision": request.decision.value,
        "decided_by": request.decided_by,
        "decided_at": utc_text(request.decided_at),
        "decision_reason": request.decision_reason,
    }


def waiver_view(waiver: Waiver) -> dict[str, Any]:
    """One recorded waiver."""
    return {
        "start": utc_text(waiver.slot.start),
        "end": utc_text(waiver.slot.end),
        "family": waiver.family,
        "approved_by": waiver.approved_by,
        "approved_at": utc_text(waiver.approved_at),
        "reason": waiver.reason,
        "request": waiver.request_id,
    }


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    """One audit entry as exported."""
    return {
        "escalation": entry.escalation_id,
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "kind": entry.kind,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def effect_view(effect: Effect) -> dict[str, Any]:
    """One intent and where it stands, with a sentence saying so."""
    return {
        "id": effect.id,
        "kind": effect.kind.value,
        "status": effect.status.value,
        "attempts": effect.attempts,
        "next_attempt_at": utc_text(effect.next_at) if effect.status is EffectStatus.PENDING else None,
        "last_error": effect.last_error,
        "sentence": effect_sentence(effect),
    }


def effect_sentence(effect: Effect) -> str:
    """What the effect does and whether it happened, in plain words (never claims what did not happen)."""
    payload = effect.payload
    start = payload.get("start")
    local = payload.get("local")
    if local and "UTC" in local:  # the contract zone's time with the UTC second already
        slot = f" {local}"
    else:  # intents written before they carried it
        slot = f" {local} ({start})" if start and local else f" {start}" if start else ""
    done = effect.status is EffectStatus.DONE
    calendars = (effect.result.get("calendars") if done else None) or payload.get("calendars")
    if calendars is None:  # an intent written before holds could go on several calendars
        calendars = [payload["calendar"]] if payload.get("calendar") else []
    settled = done and ("ledger_only" in effect.result or "calendars" in effect.result)
    ledger_only = effect.result.get("ledger_only") if settled else payload.get("ledger_only")
    if effect.kind in _IN_LEDGER and ledger_only:
        words = _IN_LEDGER[effect.kind].format(slot=slot)
        if done:
            return f"{words[0].upper()}{words[1:]}"
    else:
        words = _WHAT[effect.kind].format(
            slot=slot,
            calendar=", ".join(calendars) or "its calendar",
            method=payload.get("method", ""),
            to=_recipients(effect),
            subject=payload.get("subject", ""),
        )
    standing = _STANDING[effect.status]
    if effect.status is EffectStatus.DONE and effect.result.get("skipped"):
        standing = f"skipped ({effect.result['skipped']})"
    if effect.status is EffectStatus.DONE and effect.result.get("refused"):
        standing = f"refused by the calendar ({effect.result['refused']})"
    reason = f": {effect.last_error}" if effect.last_error and effect.status is not EffectStatus.DONE else ""
    return f"{words[0].upper()}{words[1:]}: {standing}{reason}"


def _recipients(effect: Effect) -> str:
    """Who the effect goes to: attendees of an invitation (counted), Readout users (by id) of an e-mail."""
    if effect.kind is EffectKind.NOTIFY_EMAIL:
        users = [str(u) for u in effect.payload.get("to", [])]
        return ", ".join(users) if users else "nobody"
    return f"{len(effect.payload.get('packet', {}).get('attendees', []))} attendee(s)"


def effects_pending(effects: tuple[Effect, ...] | list[Effect]) -> bool:
    """Whether any of these effects is not carried out (pending, failed or uncertain)."""
    return any(e.status not in (EffectStatus.DONE, EffectStatus.DROPPED) for e in effects)


def review_view(review: Review, contract_zone: str | None) -> dict[str, Any]:
    """What review shows, as JSON (the CLI's ``--json`` and the API's answer): the packet, its digest to
    confirm with, the waivers and the holds."""
    return {
        "escalation": escalation_view(review.escalation),
        "contract_zone": contract_zone,
        "packet": review.packet.as_dict(),
        "packet_digest": review.packet.digest,
        "waivers": [waiver_view(w) for w in review.waivers],
        "holds": [hold_view(h) for h in review.holds],
    }
