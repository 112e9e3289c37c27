"""Terminal views of the workflow: status, review packet, holds, requests, audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from readout.domain.audit import AuditEntry
from readout.domain.holds import Hold
from readout.domain.intervals import utc_text
from readout.services.confirmation import Review
from readout.services.queries import Status
from readout.services.views import effect_sentence, escalation_view, hold_view, request_view, waiver_view

__all__ = ["render_audit", "render_holds", "render_review", "render_status"]


def _slot(start: datetime, end: datetime) -> str:
    return f"{start:%a %d %b %H:%M}-{end:%H:%M}Z"


def _short(text: str | None) -> str:
    """``2026-11-13T15:00:00Z`` as ``13 Nov 15:00Z``."""
    return "" if not text else f"{datetime.fromisoformat(text.replace('Z', '+00:00')):%d %b %H:%M}Z"


def render_holds(console: Console, holds: tuple[Hold, ...] | list[Hold], title: str = "Holds") -> None:
    """The hold ledger as a table."""
    table = Table(title=title)
    for column in ("slot (UTC)", "calendar", "status", "expires / ended", "reason"):
        table.add_column(column, no_wrap=column != "reason")
    for hold in holds:
        view = hold_view(hold)
        when = _short(view["ended_at"] or view["expires_at"])
        table.add_row(
            _slot(hold.slot.start, hold.slot.end),
            hold.calendar,
            view["status"],
            when,
            view["end_reason"] or "",
        )
    console.print(table)


def render_status(console: Console, status: Status) -> None:
    """One escalation: state, deadline, best candidates, holds, exception requests and waivers."""
    view = escalation_view(status.escalation)
    console.rule(f"{view['id']}  {view['customer']}  [bold]{view['state']}[/]")
    console.print(
        f"Deadline: {view['deadline']}   RCA approved: {view['approved_at']}   opened: {view['opened_at']}"
    )
    if view["review_slot"]:
        console.print(
            f"Under review: {view['review_slot']['start']} (packet {view['packet_digest'][:12]}...)"
        )
    if view["confirmed_by"]:
        console.print(f"Confirmed by {view['confirmed_by']} at {view['confirmed_at']}")
    if status.plan:
        plan = status.plan
        console.print(
            f"Latest plan: {plan.status.value}, {len(plan.candidates)} compliant, "
            f"{len(plan.near_misses)} near misses; causes: {', '.join(plan.causes) or '-'}"
        )
        for c in plan.candidates[:5]:
            start, end = utc_text(c.start) or "", utc_text(c.end) or ""
            console.print(f"  {start} - {end[11:]}  score {c.score:.3f}  interpreter {c.interpreter or '-'}")
    if status.holds:
        render_holds(console, status.holds)
    for request in status.requests:
        r = request_view(request)
        console.print(
            f"Exception request #{r['id']} to {r['route']}: {r['decision']}"
            + (f" by {r['decided_by']} ({r['decision_reason']})" if r["decided_by"] else "")
        )
        console.print(f"  causes: {', '.join(r['causes']) or '-'}; reason: {r['reason']}")
        for o in r["options"]:
            console.print(f"  option {o['start']} - {o['end'][11:]} needs {', '.join(o['waivers'])}")
    for waiver in status.waivers:
        w = waiver_view(waiver)
        console.print(f"Waiver: {w['family']} for {w['start']} by {w['approved_by']} ({w['reason']})")
    if status.effects:
        console.print("[bold yellow]Not carried out yet, or needing a person:[/]")
        for effect in status.effects:
            console.print(f"  - {effect_sentence(effect)}")


def render_review(console: Console, review: Review) -> None:
    """The invite packet a human is about to confirm, with exceptions and holds."""
    packet = review.packet
    console.rule(f"Review {packet.reference}: nothing has been sent")
    console.print(f"Purpose: {packet.purpose}")
    console.print(f"Modality: {packet.modality}    {packet.start_utc} - {packet.end_utc}")
    table = Table(title="Invitees (required)")
    for column in ("role", "name", "email", "local start", "local end"):
        table.add_column(column)
    for a in packet.attendees:
        table.add_row(a.role.replace("_", " "), a.name, a.email, a.local_start, a.local_end)
    console.print(table)
    if review.waivers:
        for w in review.waivers:
            console.print(f"[yellow]Exception: {w.family} waived by {w.approved_by}: {w.reason}[/]")
    else:
        console.print("Exceptions: none (the slot complies with every constraint)")
    render_holds(console, review.holds, "Live holds")
    console.print(f"Packet digest: {packet.digest}")
    console.print(f"Confirm with: readout confirm {packet.reference} --packet {packet.digest[:12]} --as USER")


def _when(payload: dict[str, Any]) -> str:
    return _short(payload.get("start")) if "start" in payload else ""


def _plan_line(p: dict[str, Any]) -> str:
    blocked = sorted(p.get("rejected_by_family", {}).items(), key=lambda kv: -kv[1])[:3]
    worst = ", ".join(f"{family} {count}" for family, count in blocked)
    head = (
        f"{p['status']}: {p.get('compliant_count', 0)} compliant, {p.get('near_miss_count', 0)} near misses"
    )
    return (
        head
        + (f"; rejected most by {worst}" if worst else "")
        + (f" ({p['reason']})" if p.get("reason") else "")
    )


_LINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "opened": lambda p: f"opened for {p['customer']}",
    "plan": _plan_line,
    "plan_not_ready": lambda p: "not ready: " + ", ".join(p["not_ready"]),
    "hold_placed": lambda p: f"hold on {_when(p)} ({p['calendar']}), expires {_short(p['expires_at'])}",
    "hold_extended": lambda p: f"hold on {_when(p)} now expires {_short(p['expires_at'])}",
    "hold_released": lambda p: f"hold on {_when(p)} released: {p['reason']}",
    "hold_expired": lambda p: f"hold on {_when(p)} expired",
    "hold_confirmed": lambda p: f"hold on {_when(p)} became the readout",
    "hold": lambda p: f"{p['placed']} placed, {p['live']} live",
    "review": lambda p: f"reviewing {_when(p)}, packet {p['packet_digest'][:12]}",
    "confirm": lambda p: f"CONFIRMED {_when(p)} by {p['confirmed_by']}, packet {p['packet_digest'][:12]}",
    "waiver_recorded": lambda p: f"{p['family']} waived for {_when(p)}: {p['reason']}",
    "approve_exception": lambda p: (
        f"approved request #{p['request']}"
        + (f": {_when(p)} with {', '.join(p['waivers'])} waived" if "waivers" in p else "")
    ),
    "reject_exception": lambda p: f"rejected request #{p['request']}: {p['reason']}",
    "cancel": lambda p: f"cancelled: {p['reason']}",
    "holds_lost": lambda p: p["reason"],
    "request_exception": lambda p: f"exception request #{p['request']} to {p['route']}",
    "escalate": lambda p: f"to support leadership (request #{p.get('request', '-')})",
}


def _describe(kind: str, payload: dict[str, Any]) -> str:
    move = f"{payload['from']} -> {payload['to']}; " if "from" in payload and "to" in payload else ""
    try:
        text = _LINES[kind](payload) if kind in _LINES else ""
    except (KeyError, TypeError, ValueError):
        text = ""
    if not text:
        text = ", ".join(f"{k}={v}" for k, v in payload.items() if k not in ("from", "to"))[:120]
    return move + text


def render_audit(console: Console, entries: list[AuditEntry]) -> None:
    """The audit trail, one line per entry."""
    table = Table(title="Audit trail")
    for column in ("#", "at (UTC)", "actor", "event", "what happened"):
        table.add_column(column, no_wrap=column != "what happened")
    for e in entries:
        table.add_row(str(e.seq), e.at.strftime("%d %b %H:%M"), e.actor, e.kind, _describe(e.kind, e.payload))
    console.print(table)
