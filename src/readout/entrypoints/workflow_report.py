"""Terminal views of the workflow: status, review packet, holds, exception requests, audit trail.

Every time is shown in the contract zone's local time with its city first and UTC second, and in a person's
own local time where it concerns them (the invitees of a packet, the fix owner of a near miss). The words and
times come from ``readout.presentation``; this module only lays them out with rich.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from readout.domain.audit import AuditEntry
from readout.domain.exception_requests import Decision, ExceptionRequest
from readout.domain.holds import Hold
from readout.domain.intervals import utc_text
from readout.domain.invite import InvitePacket
from readout.presentation import audit, messages, times
from readout.services.confirmation import Review
from readout.services.queries import CaseZones, DeciderGroup, Listing, Status
from readout.services.views import effect_sentence, escalation_view

__all__ = [
    "render_audit",
    "render_holds",
    "render_invitees",
    "render_list",
    "render_request",
    "render_review",
    "render_status",
    "zone_line",
]


def _contract(zones: CaseZones | None) -> str:
    return zones.contract if zones else "UTC"


def zone_line(zones: CaseZones | None) -> str:
    """Which zone the times are in."""
    zone = _contract(zones)
    return f"Times: {times.city(zone)} ({zone}, the contract zone) first, UTC second."


def _ended_or_expires(hold: Hold, zone: str) -> str:
    moment = hold.ended_at or hold.expires_at
    return times.instant_in(moment, zone)


def render_holds(
    console: Console, holds: Sequence[Hold], title: str = "Holds", zones: CaseZones | None = None
) -> None:
    """The hold ledger as a table: slot and expiry in the contract zone and UTC, and where each hold is (a
    calendar, or the ledger only)."""
    zone = _contract(zones)
    place = times.city(zone)
    table = Table(title=title)
    columns = (f"slot ({place})", "UTC", "calendar", "status", f"expires / ended ({place})", "reason")
    for column in columns:
        table.add_column(column, no_wrap=column not in ("reason", "calendar"))
    for hold in holds:
        labels = dict.fromkeys(messages.calendar_label(p.calendar, p.on_a_calendar) for p in hold.targets)
        label = "\n".join(labels)
        table.add_row(
            times.local_span(hold.slot.start, hold.slot.end, zone),
            times.utc_span(hold.slot.start, hold.slot.end, zone),
            escape(label),
            hold.status.value,
            _ended_or_expires(hold, zone),
            escape(hold.end_reason or ""),
        )
    console.print(table)
    if any(hold.ledger_only for hold in holds):
        console.print(f"[dim]{messages.LEDGER_ONLY_NOTE}.[/]")


def _options(console: Console, request: ExceptionRequest, zones: CaseZones | None) -> None:
    """The near misses a request offers: the ``--slot`` to approve, the slot in the contract zone and UTC,
    the waivers it needs, and the fix owner's own local time (a handoff-window waiver is about them)."""
    zone = _contract(zones)
    owner = zones.of("fix_owner") if zones else None
    mine = (
        f"; last column: the fix owner's own time ({owner.name}, {times.city(owner.zone)})" if owner else ""
    )
    console.print(f"  Options (near misses) of request #{request.id}{mine}:")
    table = Table(box=None, padding=(0, 1, 0, 3), show_edge=False)
    for column in ("--slot START", times.city(zone), "UTC"):
        table.add_column(column, no_wrap=True)
    table.add_column("needs", overflow="fold")
    if owner:
        table.add_column(owner.name, no_wrap=True)
    for option in request.options:
        start, end = option.slot.start, option.slot.end
        row = [
            utc_text(start) or "",
            times.local_span(start, end, zone),
            times.utc_span(start, end, zone),
            ", ".join(option.waivers),
        ]
        if owner:
            row.append(times.person_span(start, end, owner.zone, zone, with_city=False))
        table.add_row(*row)
    console.print(table)


def render_request(
    console: Console,
    request: ExceptionRequest,
    zones: CaseZones | None,
    deciders: Sequence[DeciderGroup] = (),
    announced: bool = False,
    emailed: bool = False,
) -> None:
    """An exception request: what it asks, its options with the fix owner's local time, and, while it is
    open, that nobody was notified, who must decide and the command they run."""
    zone = _contract(zones)
    route = request.route.value.replace("_", " ")
    console.print(f"Exception request #{request.id} for {route}: [bold]{request.decision.value}[/]", end="")
    if request.decided_by:
        console.print(f" by {request.decided_by} ({escape(request.decision_reason or '')})", end="")
    console.print()
    deadline = times.deadline(request.deadline, zone) if request.deadline else "-"
    console.print(f"  causes: {', '.join(request.causes) or '-'}; deadline: {deadline}")
    if request.reason:
        console.print(f"  reason: {escape(request.reason)}")
    if request.options:
        _options(console, request, zones)
    if request.decision is Decision.OPEN:
        lines = messages.exception_recorded(
            request.id, request.escalation_id, bool(request.options), deciders, announced, emailed
        )
        for line in lines[1:]:
            console.print(f"  {escape(line)}")
        console.print(f"[bold yellow]{escape(lines[0])}[/]")


def render_status(console: Console, status: Status) -> None:
    """One escalation: state, deadline, best candidates, holds, exception requests and waivers, in the
    contract zone's local time and UTC."""
    esc, zones = status.escalation, status.zones
    zone = _contract(zones)
    view = escalation_view(esc)
    console.rule(f"{view['id']}  {view['customer']}  [bold]{view['state']}[/]")
    console.print(zone_line(zones))
    if esc.deadline:
        console.print(f"Deadline: [bold]{times.deadline(esc.deadline, zone)}[/]")
    approved = times.instant(esc.approved_at, zone) if esc.approved_at else "-"
    console.print(f"RCA approved: {approved}   opened: {times.instant(esc.opened_at, zone)}")
    if esc.review_slot and esc.packet_digest:
        slot = esc.review_slot
        console.print(
            f"Under review: {times.slot(slot.start, slot.end, zone)} (packet {esc.packet_digest[:12]}...)"
        )
    if esc.confirmed_by and esc.confirmed_at:
        console.print(f"Confirmed by {esc.confirmed_by} at {times.instant(esc.confirmed_at, zone)}")
    if status.invited is False:
        console.print(f"[bold yellow]{escape(messages.NOT_INVITED)}[/]")
    if status.plan:
        plan = status.plan
        console.print(
            f"Latest plan: {plan.status.value}, {len(plan.candidates)} compliant, "
            f"{len(plan.near_misses)} near misses; causes: {', '.join(plan.causes) or '-'}"
        )
        for c in plan.candidates[:5]:
            when, interpreter = times.slot(c.start, c.end, zone), c.interpreter or "-"
            console.print(f"  {when}  score {c.score:.3f}  interpreter {interpreter}")
    if status.holds:
        render_holds(console, status.holds, zones=zones)
    for request in status.requests:
        deciding = status.deciders if request.decision is Decision.OPEN else ()
        told = request.id in status.announced, request.id in status.emailed
        render_request(console, request, zones, deciding, *told)
    for w in status.waivers:
        console.print(
            f"Waiver: {w.family} for {times.slot(w.slot.start, w.slot.end, zone)} by {w.approved_by} "
            f"({escape(w.reason)})"
        )
    if status.effects:
        console.print("[bold yellow]Not carried out yet, or needing a person:[/]")
        for effect in status.effects:
            console.print(f"  - {escape(effect_sentence(effect))}")


def render_invitees(console: Console, packet: InvitePacket, title: str = "Invitees (required)") -> None:
    """The packet's attendees with the slot in each one's own local time."""
    table = Table(title=title)
    for column in ("role", "name", "email", "local start", "local end"):
        table.add_column(column)
    for a in packet.attendees:
        table.add_row(a.role.replace("_", " "), a.name, a.email, a.local_start, a.local_end)
    console.print(table)


def render_review(console: Console, review: Review, zones: CaseZones | None = None) -> None:
    """The invite packet a human is about to confirm, with exceptions and holds."""
    packet, slot, zone = review.packet, review.slot.slot, _contract(zones)
    console.rule(f"Review {packet.reference}: nothing has been sent")
    console.print(f"Purpose: {packet.purpose}")
    console.print(f"Modality: {packet.modality}")
    console.print(f"When: [bold]{times.slot(slot.start, slot.end, zone)}[/] ({zone}, the contract zone)")
    render_invitees(console, packet)
    if review.waivers:
        for w in review.waivers:
            console.print(f"[yellow]Exception: {w.family} waived by {w.approved_by}: {escape(w.reason)}[/]")
    else:
        console.print("Exceptions: none (the slot complies with every constraint)")
    render_holds(console, review.holds, "Live holds", zones)
    console.print(f"Packet digest: {packet.digest}")
    console.print(f"Confirm with: readout confirm {packet.reference} --packet {packet.digest[:12]} --as USER")


def render_audit(console: Console, entries: Sequence[AuditEntry], zones: CaseZones | None = None) -> None:
    """The audit trail, one line per entry: when it was recorded (the real clock, in the contract zone and
    UTC) and, for a command run with ``--now``, the instant it acted as of."""
    zone = _contract(zones)
    place = times.city(zone)
    with_as_of = any(audit.as_of(e.payload, zone) for e in entries)
    table = Table(title=f"Audit trail (times: {place} first, UTC second)")
    columns = ["#", f"recorded at ({place})"] + ([f"as of (--now, {place})"] if with_as_of else [])
    for column in (*columns, "actor", "event", "what happened"):
        table.add_column(column, no_wrap=column != "what happened")
    for e in entries:
        stamp = [audit.as_of(e.payload, zone, with_city=False)] if with_as_of else []
        what = escape(audit.describe(e.kind, e.payload, zone, with_as_of=False))
        actor = audit.actor_text(e.actor, e.payload)
        table.add_row(str(e.seq), audit.recorded_at(e.at, zone), *stamp, actor, e.kind, what)
    console.print(table)


def render_list(console: Console, listing: Sequence[Listing]) -> None:
    """Stored escalations: state, customer, and the deadline in each one's contract zone and UTC."""
    table = Table(box=None, padding=(0, 2, 0, 0))
    for column in ("escalation", "state", "customer", "deadline", "UTC"):
        table.add_column(column, no_wrap=True)
    for x in listing:
        esc, zone = x.escalation, _contract(x.zones)
        deadline = times.deadline(esc.deadline, zone, with_utc=False) if esc.deadline else "-"
        utc = times.utc_instant(esc.deadline) if esc.deadline else ""
        table.add_row(esc.id, esc.state.value, esc.customer_id, deadline, utc)
    console.print(table)
