"""Terminal views of the workflow: status, review packet, holds, requests, audit trail."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from readout.domain.audit import AuditEntry
from readout.domain.holds import Hold
from readout.services.confirmation import Review
from readout.services.queries import Status
from readout.services.views import escalation_view, hold_view, request_view, waiver_view

__all__ = ["render_audit", "render_holds", "render_review", "render_status"]


def render_holds(console: Console, holds: tuple[Hold, ...] | list[Hold], title: str = "Holds") -> None:
    """The hold ledger as a table."""
    table = Table(title=title)
    for column in ("slot (UTC)", "calendar", "status", "expires / ended", "reason"):
        table.add_column(column)
    for hold in holds:
        view = hold_view(hold)
        when = view["ended_at"] or view["expires_at"]
        table.add_row(
            f"{view['start']} - {view['end'][11:]}",
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
            f"Latest plan: {plan['status']}, {plan['compliant_count']} compliant, "
            f"{plan['near_miss_count']} near misses; causes: {', '.join(plan['causes']) or '-'}"
        )
        for c in plan["candidates"][:5]:
            interp = c["interpreter"] or "-"
            console.print(f"  {c['start']} - {c['end'][11:]}  score {c['score']:.3f}  interpreter {interp}")
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
    console.print("Confirm with: readout confirm " + packet.reference + " --as USER")


def render_audit(console: Console, entries: list[AuditEntry]) -> None:
    """The audit trail, one line per entry."""
    table = Table(title="Audit trail")
    for column in ("#", "at (UTC)", "actor", "event", "details"):
        table.add_column(column)
    for e in entries:
        details = ", ".join(
            f"{k}={v}" for k, v in e.payload.items() if k not in ("candidates_offered", "options")
        )
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M"), e.actor, e.kind, details[:160])
    console.print(table)
