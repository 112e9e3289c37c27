"""Plain-data views of workflow objects, for JSON output, exports and the review screen."""

from __future__ import annotations

from typing import Any

from readout.domain.audit import AuditEntry
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import Hold
from readout.services.plan_json import utc_text

__all__ = ["audit_view", "escalation_view", "hold_view", "request_view", "waiver_view"]


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


def hold_view(hold: Hold) -> dict[str, Any]:
    """One hold of the ledger."""
    return {
        "uid": hold.uid,
        "start": utc_text(hold.slot.start),
        "end": utc_text(hold.slot.end),
        "calendar": hold.calendar,
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
