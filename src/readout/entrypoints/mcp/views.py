"""What the tools answer: plain data with times in UTC and in the contract zone (and each person's own), and
the short sentence a client shows. Free/busy only: nothing here knows an event's title."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from readout.domain.audit import AuditEntry
from readout.domain.exception_requests import Decision, ExceptionRequest
from readout.domain.holds import Hold
from readout.domain.intervals import utc_text
from readout.domain.plan import Plan
from readout.presentation import times
from readout.services.queries import DeciderGroup
from readout.services.views import hold_where, request_view

__all__ = [
    "audit_line",
    "deciders_view",
    "hold_line",
    "moment",
    "plan_summary",
    "request_line",
    "slot_view",
]


def moment(at: datetime | None, zone: str) -> dict[str, Any] | None:
    """An instant in UTC and in ``zone``'s local time with its city."""
    if at is None:
        return None
    return {"utc": utc_text(at), "local": times.local_instant(at, zone), "zone": zone}


def slot_view(start: datetime, end: datetime, zone: str) -> dict[str, Any]:
    """A slot: UTC bounds, and the sentence ``Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)``."""
    return {
        "start": utc_text(start),
        "end": utc_text(end),
        "local": times.slot(start, end, zone),
        "zone": zone,
    }


def hold_line(hold: Hold, zone: str) -> dict[str, Any]:
    """A hold: its slot, expiry, status and where it is kept."""
    return {
        **slot_view(hold.slot.start, hold.slot.end, zone),
        "status": hold.status.value,
        "expires_at": moment(hold.expires_at, zone),
        "where": hold_where(hold),
    }


def request_line(request: ExceptionRequest, zone: str) -> dict[str, Any]:
    """An exception request with its deadline and options in local time."""
    view = request_view(request)
    view["deadline"] = moment(request.deadline, zone)
    view["options"] = [
        {**slot_view(o.slot.start, o.slot.end, zone), "waivers": list(o.waivers)} for o in request.options
    ]
    return view


def deciders_view(groups: Sequence[DeciderGroup]) -> list[dict[str, Any]]:
    """Who may decide the open exception request (people only: no agent decides)."""
    return [
        {
            "family": g.family or None,
            "roles": list(g.roles),
            "users": [{"id": uid, "name": name} for uid, name in g.users],
        }
        for g in groups
    ]


def plan_summary(plan: Plan, zone: str, shown: int = 3) -> str:
    """``ready: 4 compliant slots; best: Tue 17 Nov ...`` or what is missing, in one or two sentences."""
    status = plan.status.value
    if plan.not_ready:
        return f"{status}: the case is not ready to plan ({'; '.join(plan.not_ready)})"
    parts = [f"{status}: {len(plan.candidates)} compliant slot(s), {len(plan.near_misses)} near miss(es)"]
    if plan.candidates:
        best = "; ".join(times.slot(c.start, c.end, zone) for c in plan.candidates[:shown])
        parts.append(f"best: {best}")
    elif plan.near_misses:
        near = "; ".join(
            f"{times.slot(n.start, n.end, zone)} needs {', '.join(n.waivers)} waived"
            for n in plan.near_misses[:shown]
        )
        parts.append(f"nearest: {near}")
    if plan.causes:
        parts.append(f"causes: {', '.join(plan.causes)}")
    return "; ".join(parts)


def open_request(requests: Sequence[ExceptionRequest]) -> ExceptionRequest | None:
    """The open exception request, if there is one."""
    return next((r for r in reversed(requests) if r.decision is Decision.OPEN), None)


def audit_line(entry: AuditEntry, zone: str) -> dict[str, Any]:
    """One audit entry: when (UTC and local), who (and on whose behalf), what, over which channel."""
    payload = dict(entry.payload)
    return {
        "seq": entry.seq,
        "at": moment(entry.at, zone),
        "actor": entry.actor,
        "on_behalf_of": payload.get("on_behalf_of"),
        "via": payload.get("via"),
        "kind": entry.kind,
        "payload": payload,
        "hash": entry.hash,
    }
