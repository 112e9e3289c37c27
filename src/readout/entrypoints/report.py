"""The readable terminal report of a plan (rich)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from readout.domain.case import Case
from readout.domain.diagnosis import (
    BlackoutHelp,
    BusyBlockMove,
    Calendars,
    Diagnosis,
    MeetingHoursCounts,
    MissingRoleHolder,
    diagnose,
)
from readout.domain.interpreter_diagnosis import InterpreterDeadEnd, MissKind, Problem
from readout.domain.names import CAB_BLACKOUT, COVERAGE, INTERPRETER, ROLES, WAIVER_AUTHORITY
from readout.domain.plan import Candidate, Plan, PlanStatus
from readout.domain.weekly import DAY_NAMES, WeeklyWindows
from readout.presentation import times
from readout.services.planning import PlannedCase

__all__ = ["explain", "render_plan"]

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


# Explanations in words: the one place their English lives (the data is in domain/diagnosis.py).


def _code(value: str) -> str:
    return f"`{value}`"


def _codes(values: tuple[str, ...]) -> str:
    return ", ".join(_code(v) for v in values)


def _hours_phrase(case: Case) -> str:
    parts = [
        name
        for name, present in (
            ("support coverage", case.coverage is not None),
            ("customer meeting hours", case.meeting_hours is not None),
        )
        if present
    ]
    return f" inside {' and '.join(parts)}" if parts else ""


def problem_text(problem: Problem, dead_end: InterpreterDeadEnd, case: Case) -> str:
    """One reason a roster interpreter does not serve the readout, in words."""
    language, customer = _code(dead_end.language), _code(dead_end.customer_id)
    minutes = f"{case.readout.duration.total_seconds() / 60:g}-minute"
    values = _codes(problem.values)
    texts = {
        MissKind.LANGUAGE_NAME: f"lists {values}, a language name: the roster needs the tag {language}",
        MissKind.LANGUAGE_CODE: f"lists {values}, a three-letter code: the roster needs the tag {language}",
        MissKind.LANGUAGE_BROADER: f"lists {values}, which does not serve {language}: list {language} if "
        "they interpret it",
        MissKind.APPROVED_BY_NAME: f"is approved for {values}, the customer's name: approval lists hold the "
        f"customer id {customer}",
        MissKind.APPROVED_NEAR_ID: f"is approved for {values}, not the customer id {customer}",
        MissKind.APPROVED_FOR_OTHERS: f"is approved only for {values}, not {customer}",
        MissKind.NEVER_AVAILABLE: f"qualifies, but their availability never holds a whole {minutes} slot"
        f"{_hours_phrase(case)} before the deadline",
        MissKind.BUSY: f"qualifies and is available at {problem.count} of those starts, but their calendar "
        "is busy at every one",
        MissKind.CALENDAR_UNREADABLE: f"qualifies, but their calendar could not be read "
        f"({'; '.join(problem.values)}): taken as never free",
    }
    return texts[problem.kind]


def interpreter_lines(dead_end: InterpreterDeadEnd, case: Case) -> list[str]:
    """Why no interpreter can come: who was looked for, then the closest misses, each with every reason."""
    language, customer = _code(dead_end.language), _code(dead_end.customer_id)
    if dead_end.qualifying == 0:
        roster = "the roster is empty" if not dead_end.roster else f"{dead_end.roster} on the roster"
        lines = [
            f"No interpreter on the roster speaks {language} and is approved for {customer} "
            f"({dead_end.customer_name}; {roster})."
        ]
    else:
        one = dead_end.qualifying == 1
        who = "interpreter speaks" if one else "interpreters speak"
        lines = [
            f"{dead_end.qualifying} {who} {language} and {'is' if one else 'are'} approved for {customer}, "
            f"but none can come to any of the {dead_end.in_hours} possible starts{_hours_phrase(case)}."
        ]
    if dead_end.misses:
        lines.append("Closest:" if dead_end.qualifying == 0 else "Each of them:")
    for miss in dead_end.misses:
        reasons = "; ".join(problem_text(p, dead_end, case) for p in miss.problems)
        lines.append(f"  - {miss.name} ({miss.interpreter_id}): {reasons}")
    if dead_end.unrelated:
        others = "other speaks" if dead_end.unrelated == 1 else "others speak"
        lines.append(f"  {dead_end.unrelated} {others} no form of {_code(dead_end.language)}.")
    return lines


def role_holder_text(missing: MissingRoleHolder, case: Case) -> str:
    """A required role that names nobody in people, with the id it was probably meant to be."""
    role = _role_label(missing.role)
    if missing.person_id is None:
        return f"the {role} role is not assigned"
    text = f"the {role} role names {_code(missing.person_id)}, who is not in people"
    if missing.suggestion is not None:
        name = case.people[missing.suggestion].name
        return f"{text} (did you mean {_code(missing.suggestion)}, {name}?)"
    known = sorted(case.people)
    return f"{text} (people has {_codes(tuple(known))})" if 0 < len(known) <= 8 else text


def _clock(minutes: int) -> str:
    return "24:00" if minutes == 1440 else f"{minutes % 1440 // 60:02d}:{minutes % 60:02d}"


def weekly_text(weekly: WeeklyWindows) -> str:
    """``thu 09:00-12:00 São Paulo``; runs of days with the same windows joined (``mon-fri``)."""
    runs: list[tuple[int, int, str]] = []
    for day, windows in enumerate(weekly.by_weekday):
        if not windows:
            continue
        text = ", ".join(f"{_clock(w.start)}-{_clock(w.end)}" for w in windows)
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    days = [
        (DAY_NAMES[a] if a == b else f"{DAY_NAMES[a]}-{DAY_NAMES[b]}") + f" {text}" for a, b, text in runs
    ]
    return f"{'; '.join(days)} {times.city(weekly.zone.key)}"


def blackout_lines(help_: BlackoutHelp, case: Case) -> list[str]:
    """Which blackouts stand in the way of the slots only a blackout blocks, and the first of those slots."""
    zone = case.business_zone.key
    slots = "slot breaks" if help_.count == 1 else "slots break"
    lines = [f"{help_.count} {slots} only CAB_BLACKOUT; the blackouts in the way:"]
    for hit in help_.blackouts:
        count = f"{hit.slots} slot" + ("" if hit.slots == 1 else "s")
        if hit.weekly is not None:
            lines.append(f"  - weekly {weekly_text(hit.weekly)}: {count}")
        elif hit.interval is not None:
            what = (
                _code(hit.label)
                if hit.label
                else "a block from a blackout calendar"
                if hit.from_calendar
                else "a block"
            )
            lines.append(f"  - {what}: {times.slot(hit.interval.start, hit.interval.end, zone)}: {count}")
    shown = "; ".join(times.slot(s.start, s.end, zone) for s in help_.first)
    more = f" (and {help_.count - len(help_.first)} more)" if help_.count > len(help_.first) else ""
    lines.append(f"  First: {shown}{more}")
    return lines


def move_lines(moves: tuple[BusyBlockMove, ...], case: Case) -> list[str]:
    """The busy blocks of internal role holders that, moved, would open compliant slots (never a title)."""
    zone = case.business_zone.key
    lines = [
        "Before escalating, ask a colleague: moving one busy block would open compliant slots "
        "(free/busy only, nothing about the meeting itself):"
    ]
    for move in moves:
        person = case.people[move.person_id]
        roles = ", ".join(_role_label(r) for r in move.roles)
        own = times.person_span(move.block.start, move.block.end, person.zone.key)
        opens = f"{move.opens} slot" + ("" if move.opens == 1 else "s")
        block = times.slot(move.block.start, move.block.end, zone)
        first = times.slot(move.first.start, move.first.end, zone)
        lines.append(
            f"  - {person.name} ({roles}): busy {own} = {block}; moving it opens {opens}, the first {first}"
        )
    return lines


def explain(diagnosis: Diagnosis, case: Case) -> dict[str, list[str]]:
    """Every explanation of ``diagnosis`` in words, by part: ``roles``, ``interpreter``, ``blackouts``,
    ``moves`` (absent parts do not apply). Meeting-hours counts are a column of the violations table."""
    parts: dict[str, list[str]] = {}
    if diagnosis.missing_role_holders:
        parts["roles"] = [role_holder_text(m, case) for m in diagnosis.missing_role_holders]
    if diagnosis.interpreter is not None:
        parts["interpreter"] = interpreter_lines(diagnosis.interpreter, case)
    if diagnosis.blackout_help is not None:
        parts["blackouts"] = blackout_lines(diagnosis.blackout_help, case)
    if diagnosis.moves:
        parts["moves"] = move_lines(diagnosis.moves, case)
    return parts


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


def _lines(console: Console, lines: list[str], indent: str = "") -> None:
    for line in lines:
        console.print(f"{indent}{line}", markup=False, highlight=False)


def _calendars(planned: PlannedCase, calendars: Calendars | None) -> Calendars | None:
    """What the plan read from calendars: given, kept by the planning service (``PlannedCase.calendars``),
    or, for a case that names no calendar at all, nothing."""
    if calendars is not None:
        return calendars
    if planned.calendars is not None:
        return planned.calendars
    loaded = planned.loaded
    return None if loaded.calendars or loaded.blackout_calendars else Calendars({}, {})


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


def _not_ready(console: Console, plan: Plan, diagnosis: Diagnosis, case: Case) -> None:
    missing = {m.role: m for m in diagnosis.missing_role_holders}
    for reason in plan.not_ready:
        code, _, role = reason.partition(":")
        text = role_holder_text(missing[role], case) if role in missing else _NOT_READY_TEXT.get(code, reason)
        console.print(f"  - {reason}: {text}", markup=False, highlight=False)
