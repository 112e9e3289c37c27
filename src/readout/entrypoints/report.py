"""The readable terminal report of a plan (rich): the deadline, the best candidates in everyone's local time,
near misses, causes and what blocks the starts, with every dead end explained in the words of
``explanations``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from readout.domain.case import Case
from readout.domain.diagnosis import Calendars, Diagnosis, MeetingHoursCounts, diagnose
from readout.domain.names import CAB_BLACKOUT, COVERAGE, INTERPRETER, ROLES, WAIVER_AUTHORITY
from readout.domain.plan import Candidate, Plan, PlanStatus
from readout.entrypoints.explanations import explain, role_holder_text, role_label
from readout.presentation import times
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


# The explanation shown under a cause (``explain``'s parts).
_EXPLAINED_UNDER = {CAB_BLACKOUT: "blackouts", INTERPRETER: "interpreter"}


def render_plan(
    planned: PlannedCase,
    console: Console,
    limit: int | None,
    calendars: Calendars | None = None,
    as_of: str | None = None,
) -> None:
    """Print the plan: deadline, best candidates in everyone's local time, near misses, causes, and every
    dead end explained (``calendars``: what the plan read, for the explanations that need busy time;
    ``as_of``: where the planning instant came from when it was not the clock, e.g. ``--now``)."""
    plan, case = planned.plan, planned.case
    diagnosis = diagnose(case, plan, _calendars(planned, calendars))
    words = explain(diagnosis, case)
    _header(console, planned, as_of)
    if plan.status is PlanStatus.NOT_READY:
        _not_ready(console, plan, diagnosis, case)
        _lines(console, words.get("interpreter", []))
        return
    console.print()
    shown = plan.candidates if limit is None else plan.candidates[:limit]
    if shown:
        console.print(f"[bold]{len(plan.candidates)} compliant slots[/]; best {len(shown)}:")
        for rank, cand in enumerate(shown, 1):
            _candidate_block(console, rank, cand, case)
    else:
        _causes(console, planned, words)
        if INTERPRETER not in plan.causes and "interpreter" in words:
            console.print("Why no interpreter can come:")
            _lines(console, words["interpreter"], "  ")
    if plan.near_misses and (not shown or limit is None):
        _near_misses(console, planned, limit)
    elif plan.near_misses:
        console.print(f"{len(plan.near_misses)} near misses need a waiver (use --all to list them).")
    _lines(console, words.get("moves", []))
    if plan.violations:
        _violations(console, planned, diagnosis.meeting_hours)
    _notes(console, planned)


def _calendars(planned: PlannedCase, calendars: Calendars | None) -> Calendars | None:
    """What the plan read from calendars: given, kept by the planning service (``PlannedCase.calendars``),
    or, for a case that names no calendar at all, nothing."""
    if calendars is not None:
        return calendars
    if planned.calendars is not None:
        return planned.calendars
    loaded = planned.loaded
    return None if loaded.calendars or loaded.blackout_calendars else Calendars({}, {})


def _header(console: Console, planned: PlannedCase, as_of: str | None) -> None:
    case, plan = planned.case, planned.plan
    zone = case.business_zone.key  # the contract's zone: its deadline is local midnight there
    console.rule(f"RCA readout plan  {case.escalation_id}  {case.customer_name}")
    console.print(f"Status: [{_STATUS_STYLE[plan.status]}]{plan.status.value}[/]")
    if as_of is None or as_of == "the clock":
        console.print(f"Planned at: {times.instant(planned.now, zone)}")
    else:
        console.print(f"Planned as of: {times.instant(planned.now, zone)}, from {as_of}, not the clock")
    if case.approved_at is not None:
        console.print(
            f"RCA approved: {times.instant(case.approved_at, zone)}; readout due within "
            f"{case.readout.due_business_days} business days ({times.city(zone)})"
        )
    if plan.deadline is not None:
        console.print(
            f"Deadline: [bold]{times.deadline(plan.deadline, zone)}[/]: the readout must end before it"
        )
        skipped = _holidays_skipped(case, plan)
        if skipped:
            days = ", ".join(f"{d:%a %d %b}" for d in skipped)
            console.print(f"Holidays not counted as business days: {days}")
    if plan.earliest_start is not None:
        console.print(
            f"Earliest start: {times.instant(plan.earliest_start, zone)} "
            f"({case.readout.min_notice.total_seconds() / 3600:g}h notice); "
            f"{case.readout.duration.total_seconds() / 60:g}-minute {case.readout.modality} readout"
        )
    for warning in case.warnings:  # valid, but probably not what was meant (a zone abbreviation)
        console.print(f"Warning: {warning}", style="yellow", markup=False, highlight=False)


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


def _not_ready(console: Console, plan: Plan, diagnosis: Diagnosis, case: Case) -> None:
    missing = {m.role: m for m in diagnosis.missing_role_holders}
    for reason in plan.not_ready:
        code, _, role = reason.partition(":")
        text = role_holder_text(missing[role], case) if role in missing else _NOT_READY_TEXT.get(code, reason)
        console.print(f"  - {reason}: {text}", markup=False, highlight=False)


def _candidate_block(console: Console, rank: int, cand: Candidate, case: Case) -> None:
    console.print(
        f"[bold]#{rank}[/]  score {cand.score:.3f}   {_span(cand.start, cand.end, ZoneInfo('UTC'))}"
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    for role in ROLES:
        person = case.people[case.roles[role] or ""]
        table.add_row(f"  {person.name}", role_label(role), _span(cand.start, cand.end, person.zone))
    if cand.interpreter:
        interp = next(i for i in case.interpreters if i.id == cand.interpreter)
        table.add_row(f"  {interp.name}", "interpreter", _span(cand.start, cand.end, interp.zone))
    console.print(table)
    for reason in cand.why:
        console.print(f"     - {reason}")


def _span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    end_text = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %H:%M}"
    return f"{a:%a %d %b %H:%M}-{end_text} {a.tzname()}"


def _causes(console: Console, planned: PlannedCase, words: dict[str, list[str]]) -> None:
    case, plan = planned.case, planned.plan
    console.print("[bold yellow]No compliant slot before the deadline.[/]")
    if not plan.causes:
        earliest, due = plan.earliest_start, plan.deadline
        if earliest is not None and due is not None and earliest + case.readout.duration > due:
            zone, minutes = case.business_zone.key, case.readout.duration.total_seconds() / 60
            console.print(
                "The deadline has passed or is too close: the earliest start, "
                f"{times.instant(earliest, zone)}, leaves no {minutes:g} minutes before "
                f"{times.deadline(due, zone)}. "
                "Escalate to support leadership.",
                markup=False,
            )
            return
        console.print(
            "No single relaxation would help: the deadline itself is at risk. Escalate to support leadership."
        )
        return
    console.print("Relaxing any one of these alone would give a compliant slot:")
    for family in plan.causes:
        who = WAIVER_AUTHORITY.get(family)
        action = f"waivable by the {who}" if who else "not waivable: escalate to support leadership"
        console.print(f"  - {family}: {family_text(family, case)} ({action})")
        _lines(console, words.get(_EXPLAINED_UNDER.get(family, ""), []), "      ")
    if any(f in WAIVER_AUTHORITY for f in plan.causes):
        console.print(
            "Next: request a waiver for one of the near misses below, or escalate to support leadership."
        )
    else:
        console.print("Next: escalate to support leadership; no waiver can make a slot compliant.")


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


def _lines(console: Console, lines: list[str], indent: str = "") -> None:
    for line in lines:
        console.print(f"{indent}{line}", markup=False, highlight=False)


def _near_misses(console: Console, planned: PlannedCase, limit: int | None) -> None:
    """Near misses in the contract zone, the fix owner's own time (a handoff waiver is about them) and UTC."""
    case, plan = planned.case, planned.plan
    shown = plan.near_misses if limit is None else plan.near_misses[:limit]
    contract = case.business_zone.key
    fix_owner = case.people[case.roles["fix_owner"] or ""]
    table = Table(title=f"Near misses ({len(plan.near_misses)}): compliant but for a waivable family")
    table.add_column(times.city(contract), no_wrap=True)
    table.add_column(f"fix owner {fix_owner.name}", no_wrap=True)
    # The duty manager who waives coverage thinks in the coverage zone: shown when a coverage waiver is
    # asked for and that zone is yet another one.
    coverage = case.grid_zone.key if any(COVERAGE in m.waivers for m in shown) else None
    if coverage in (contract, fix_owner.zone.key):
        coverage = None
    if coverage is not None:
        table.add_column(f"coverage {times.city(coverage)}", no_wrap=True)
    table.add_column("UTC", no_wrap=True)
    table.add_column("needs waiver from")
    for miss in shown:
        table.add_row(
            times.person_span(miss.start, miss.end, contract),
            times.person_span(miss.start, miss.end, fix_owner.zone.key, contract),
            *([times.person_span(miss.start, miss.end, coverage, contract)] if coverage else []),
            times.person_span(miss.start, miss.end, "UTC", contract),
            "; ".join(f"{w}: {WAIVER_AUTHORITY[w]}" for w in miss.waivers),
        )
    console.print(table)
    if len(shown) < len(plan.near_misses):
        console.print(f"  ... {len(plan.near_misses) - len(shown)} more (use --all)")


def _violations(console: Console, planned: PlannedCase, in_hours: MeetingHoursCounts | None) -> None:
    """Per family, how many starts break it; with meeting hours, also how many of those inside them."""
    case, plan = planned.case, planned.plan
    title = f"What blocks the {plan.slots_considered} possible starts"
    if in_hours is not None:
        title += f" ({in_hours.starts} inside customer meeting hours)"
    table = Table(title=title)
    table.add_column("family", no_wrap=True)
    table.add_column("blocked", justify="right", no_wrap=True)
    if in_hours is not None:
        table.add_column("in meeting hours", justify="right", no_wrap=True)
    table.add_column("meaning")
    table.add_column("waiver")
    for family, count in plan.violations.items():
        waiver = "yes" if family in WAIVER_AUTHORITY else "no"
        inside = [] if in_hours is None else [str(in_hours.violations.get(family, 0))]
        table.add_row(family, str(count), *inside, family_text(family, case), waiver)
    console.print(table)


def _notes(console: Console, planned: PlannedCase) -> None:
    for item in planned.plan.unverified:
        who = _display_name(planned, item.id)
        console.print(f"[dim]Note: {who} ({role_label(item.role)}) has no calendar: free/busy unverified.[/]")
    for bad in planned.plan.unknown:
        who = _display_name(planned, bad.id)
        console.print(
            f"[red]Unknown: {who} ({role_label(bad.role)}): {bad.error}; treated as unavailable.[/]"
        )


def _display_name(planned: PlannedCase, pid: str) -> str:
    case = planned.case
    if pid in case.people:
        return case.people[pid].name
    return next((i.name for i in case.interpreters if i.id == pid), pid)
