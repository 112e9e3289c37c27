"""Every explanation of a stuck plan in words: the one place their English lives (the data is in
``domain/diagnosis.py`` and ``domain/interpreter_diagnosis.py``).

Plain strings, no terminal markup, so the terminal report, a web page or a chat message can show the same
words. Input values are quoted as code (`pt`); times follow the house rule (the contract zone's local time
with its city first, UTC second, and a person's own local time where it concerns them).
"""

from __future__ import annotations

from readout.domain.case import Case
from readout.domain.diagnosis import BlackoutHelp, BusyBlockMove, Diagnosis, MissingRoleHolder
from readout.domain.interpreter_diagnosis import InterpreterDeadEnd, MissKind, Problem
from readout.domain.weekly import DAY_NAMES, WeeklyWindows
from readout.presentation import times

__all__ = [
    "blackout_lines",
    "explain",
    "interpreter_lines",
    "move_lines",
    "problem_text",
    "role_holder_text",
    "role_label",
    "weekly_text",
]


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


def role_holder_text(missing: MissingRoleHolder, case: Case) -> str:
    """A required role that names nobody in people, with the id it was probably meant to be."""
    role = role_label(missing.role)
    if missing.person_id is None:
        return f"the {role} role is not assigned"
    text = f"the {role} role names {_code(missing.person_id)}, who is not in people"
    if missing.suggestion is not None:
        name = case.people[missing.suggestion].name
        return f"{text} (did you mean {_code(missing.suggestion)}, {name}?)"
    known = sorted(case.people)
    return f"{text} (people has {_codes(tuple(known))})" if 0 < len(known) <= 8 else text


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


def _clock(minutes: int) -> str:
    return "24:00" if minutes == 1440 else f"{minutes % 1440 // 60:02d}:{minutes % 60:02d}"


def move_lines(moves: tuple[BusyBlockMove, ...], case: Case) -> list[str]:
    """The busy blocks of internal role holders that, moved, would open compliant slots (never a title)."""
    zone = case.business_zone.key
    lines = [
        "Before escalating, ask a colleague: moving one busy block would open compliant slots "
        "(free/busy only, nothing about the meeting itself):"
    ]
    for move in moves:
        person = case.people[move.person_id]
        roles = ", ".join(role_label(r) for r in move.roles)
        own = times.person_span(move.block.start, move.block.end, person.zone.key)
        opens = f"{move.opens} slot" + ("" if move.opens == 1 else "s")
        block = times.slot(move.block.start, move.block.end, zone)
        first = times.slot(move.first.start, move.first.end, zone)
        lines.append(
            f"  - {person.name} ({roles}): busy {own} = {block}; moving it opens {opens}, the first {first}"
        )
    return lines


def role_label(role: str) -> str:
    """``fix owner`` for the role ``fix_owner``."""
    return role.replace("_", " ")


def _code(value: str) -> str:
    return f"`{value}`"


def _codes(values: tuple[str, ...]) -> str:
    return ", ".join(_code(v) for v in values)
