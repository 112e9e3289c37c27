"""The readable terminal report of a plan (rich)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from readout.domain.case import Case
from readout.domain.names import ROLES, WAIVER_AUTHORITY
from readout.domain.plan import Candidate, Plan, PlanStatus
from readout.services.planning import PlannedCase

__all__ = ["render_plan"]

_STATUS_STYLE = {
    PlanStatus.READY: "bold green",
    PlanStatus.NEEDS_EXCEPTION: "bold yellow",
    PlanStatus.NOT_READY: "bold red",
}
_NOT_READY_TEXT = {
    "RCA_NOT_APPROVED": "the customer-safe RCA draft is not approved yet",
    "ROLE_UNASSIGNED": "required role not assigned (or names nobody in people)",
}


def _role_label(role: str) -> str:
    return role.replace("_", " ")


def _local(moment: datetime, zone: ZoneInfo, with_date: bool = True) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}" if with_date else f"{local:%H:%M} {local.tzname()}"


def _span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    end_text = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %H:%M}"
    return f"{a:%a %d %b %H:%M}-{end_text} {a.tzname()}"


def family_text(family: str, case: Case) -> str:
    """What breaking a family means, in words."""
    if family.startswith("ATTENDEE:"):
        role = family.split(":", 1)[1]
        person = case.people.get(case.roles.get(role) or "")
        return f"{person.name if person else role} busy or unavailable"
    texts = {
        "COVERAGE": "outside support coverage hours",
        "CUSTOMER_HOURS": "outside customer meeting hours",
        "CAB_BLACKOUT": "overlaps a CAB blackout",
        "HANDOFF_WINDOW": "crosses a handoff window",
        "INTERPRETER": f"no approved '{case.readout.language}' interpreter free",
    }
    return texts.get(family, family)


def _display_name(planned: PlannedCase, pid: str) -> str:
    case = planned.case
    if pid in case.people:
        return case.people[pid].name
    return next((i.name for i in case.interpreters if i.id == pid), pid)


def _holidays_skipped(case: Case, plan: Plan) -> list[date]:
    if case.approved_at is None or plan.deadline is None:
        return []
    zone = case.business_zone
    day = case.approved_at.astimezone(zone).date() + timedelta(days=1)
    last = plan.deadline.astimezone(zone).date()
    out = []
    while day < last:
        if day.weekday() < 5 and day in case.business_holidays:
            out.append(day)
        day += timedelta(days=1)
    return out


def _header(console: Console, planned: PlannedCase) -> None:
    case, plan = planned.case, planned.plan
    console.rule(f"RCA readout plan  {case.escalation_id}  {case.customer_name}")
    console.print(f"Status: [{_STATUS_STYLE[plan.status]}]{plan.status.value}[/]")
    planned_utc = planned.now.astimezone(UTC)
    console.print(f"Planned at: {_local(planned.now, case.business_zone)} ({planned_utc:%Y-%m-%d %H:%M} UTC)")
    if case.approved_at is not None:
        console.print(
            f"RCA approved: {_local(case.approved_at, case.business_zone)}; readout due within "
            f"{case.readout.due_business_days} business days ({case.business_zone.key})"
        )
    if plan.deadline is not None:
        console.print(
            f"Deadline: [bold]{_local(plan.deadline, case.business_zone)}[/] "
            f"({plan.deadline.astimezone(UTC):%Y-%m-%d %H:%M} UTC): the readout must end before it"
        )
        skipped = _holidays_skipped(case, plan)
        if skipped:
            days = ", ".join(f"{d:%a %d %b}" for d in skipped)
            console.print(f"Holidays not counted as business days: {days}")
    if plan.earliest_start is not None:
        console.print(
            f"Earliest start: {_local(plan.earliest_start, case.business_zone)} "
            f"({case.readout.min_notice.total_seconds() / 3600:g}h notice); "
            f"{case.readout.duration.total_seconds() / 60:g}-minute {case.readout.modality} readout"
        )


def _candidate_block(console: Console, rank: int, cand: Candidate, case: Case) -> None:
    console.print(
        f"[bold]#{rank}[/]  score {cand.score:.3f}   {_span(cand.start, cand.end, ZoneInfo('UTC'))}"
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    for role in ROLES:
        person = case.people[case.roles[role] or ""]
        table.add_row(f"  {person.name}", _role_label(role), _span(cand.start, cand.end, person.zone))
    if cand.interpreter:
        interp = next(i for i in case.interpreters if i.id == cand.interpreter)
        table.add_row(f"  {interp.name}", "interpreter", _span(cand.start, cand.end, interp.zone))
    console.print(table)
    for reason in cand.why:
        console.print(f"     - {reason}")


def _near_misses(console: Console, planned: PlannedCase, limit: int | None) -> None:
    case, plan = planned.case, planned.plan
    shown = plan.near_misses if limit is None else plan.near_misses[:limit]
    table = Table(title=f"Near misses ({len(plan.near_misses)}): compliant but for a waivable family")
    table.add_column(f"customer ({case.customer_zone.key})", no_wrap=True)
    table.add_column(f"coverage ({case.grid_zone.key})", no_wrap=True)
    table.add_column("needs waiver from")
    for miss in shown:
        table.add_row(
            _span(miss.start, miss.end, case.customer_zone),
            _span(miss.start, miss.end, case.grid_zone),
            "; ".join(f"{w}: {WAIVER_AUTHORITY[w]}" for w in miss.waivers),
        )
    console.print(table)
    if len(shown) < len(plan.near_misses):
        console.print(f"  ... {len(plan.near_misses) - len(shown)} more (use --all)")


def _violations(console: Console, planned: PlannedCase) -> None:
    case, plan = planned.case, planned.plan
    table = Table(title=f"What blocks the {plan.slots_considered} possible starts")
    table.add_column("family", no_wrap=True)
    table.add_column("blocked", justify="right", no_wrap=True)
    table.add_column("meaning")
    table.add_column("waiver")
    for family, count in plan.violations.items():
        waiver = "yes" if family in WAIVER_AUTHORITY else "no"
        table.add_row(family, str(count), family_text(family, case), waiver)
    console.print(table)


def _causes(console: Console, planned: PlannedCase) -> None:
    case, plan = planned.case, planned.plan
    console.print("[bold yellow]No compliant slot before the deadline.[/]")
    if not plan.causes:
        console.print(
            "No single relaxation would help: the deadline itself is at risk. Escalate to support leadership."
        )
        return
    console.print("Relaxing any one of these alone would give a compliant slot:")
    for family in plan.causes:
        who = WAIVER_AUTHORITY.get(family)
        action = f"waivable by the {who}" if who else "not waivable: escalate to support leadership"
        console.print(f"  - {family}: {family_text(family, case)} ({action})")
    if any(f in WAIVER_AUTHORITY for f in plan.causes):
        console.print(
            "Next: request a waiver for one of the near misses below, or escalate to support leadership."
        )
    else:
        console.print("Next: escalate to support leadership; no waiver can make a slot compliant.")


def _notes(console: Console, planned: PlannedCase) -> None:
    for item in planned.plan.unverified:
        who = _display_name(planned, item.id)
        console.print(
            f"[dim]Note: {who} ({_role_label(item.role)}) has no calendar: free/busy unverified.[/]"
        )
    for bad in planned.plan.unknown:
        who = _display_name(planned, bad.id)
        console.print(
            f"[red]Unknown: {who} ({_role_label(bad.role)}): {bad.error}; treated as unavailable.[/]"
        )


def render_plan(planned: PlannedCase, console: Console, limit: int | None) -> None:
    """Print the plan: deadline, best candidates in everyone's local time, near misses, causes."""
    plan = planned.plan
    _header(console, planned)
    if plan.status is PlanStatus.NOT_READY:
        for reason in plan.not_ready:
            code = reason.split(":", 1)[0]
            console.print(f"  - {reason}: {_NOT_READY_TEXT.get(code, reason)}")
        return
    console.print()
    shown = plan.candidates if limit is None else plan.candidates[:limit]
    if shown:
        console.print(f"[bold]{len(plan.candidates)} compliant slots[/]; best {len(shown)}:")
        for rank, cand in enumerate(shown, 1):
            _candidate_block(console, rank, cand, planned.case)
    else:
        _causes(console, planned)
    if plan.near_misses and (not shown or limit is None):
        _near_misses(console, planned, limit)
    elif plan.near_misses:
        console.print(f"{len(plan.near_misses)} near misses need a waiver (use --all to list them).")
    if plan.violations:
        _violations(console, planned)
    _notes(console, planned)
