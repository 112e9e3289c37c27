"""Every dead end explained in terms of the inputs (domain/diagnosis.py): data, not words."""

from __future__ import annotations

import dataclasses
from typing import Any

from readout.domain.case import Availability, Blackouts, Case, MeetingHours
from readout.domain.diagnosis import (
    BlackoutHit,
    Calendars,
    Diagnosis,
    MissingRoleHolder,
    diagnose,
    missing_role_holders,
)
from readout.domain.interpreter_diagnosis import MissKind, Problem
from readout.domain.intervals import Interval
from readout.domain.names import CUSTOMER_HOURS, ROLES
from readout.domain.planner import plan
from tests.domain.builders import interpreter, make_case, person, u, weekly

# make_case: approved Mon 2 Nov 2026 12:00Z, deadline Wed 4 Nov 00:00Z, coverage mon-fri 09:00-17:00 UTC,
# a one-hour readout on an hourly grid. Planned at approval: starts Mon 12:00 to Tue 23:00 (36), of which
# Mon 12-16 and Tue 09-16 (13) are inside coverage.
NOW = u(2026, 11, 2, 12)
NO_CALENDARS = Calendars({}, {})


def solaris(**changes: Any) -> Case:
    """The make_case case for Banco Solaris with a Portuguese readout."""
    base = make_case(customer_id="banco-solaris", customer_name="Banco Solaris")
    readout = dataclasses.replace(base.readout, language="pt")
    return dataclasses.replace(base, readout=readout, **changes)


def diagnosed(case: Case, calendars: Calendars = NO_CALENDARS) -> Diagnosis:
    return diagnose(case, plan(case, NOW, calendars.people, calendars.interpreters), calendars)


def kinds(diagnosis: Diagnosis) -> dict[str, tuple[Problem, ...]]:
    assert diagnosis.interpreter is not None
    return {m.interpreter_id: m.problems for m in diagnosis.interpreter.misses}


def slot(*start: int) -> Interval:
    begin = u(*start)
    return Interval(begin, begin.replace(hour=begin.hour + 1))


def test_nobody_qualifies_names_the_closest_misses_with_every_reason() -> None:
    roster = (
        interpreter("beatriz", ("Portuguese",), ("banco-solaris",)),
        interpreter("joao", ("por", "en"), ("Banco Solaris",)),
        interpreter("carla", ("pt-BR",), ("globex-financial", "initech-bank")),
        interpreter("ana", ("PT",), ("banco_solaris",)),
        interpreter("rui", ("português",), ("*",)),
        interpreter("diego", ("es",), ("banco-solaris",)),
    )
    diagnosis = diagnosed(solaris(interpreters=roster))
    dead_end = diagnosis.interpreter
    assert dead_end is not None
    assert (dead_end.language, dead_end.customer_id, dead_end.roster, dead_end.qualifying) == (
        "pt",
        "banco-solaris",
        6,
        0,
    )
    assert kinds(diagnosis) == {
        "beatriz": (Problem(MissKind.LANGUAGE_NAME, ("Portuguese",)),),
        "carla": (Problem(MissKind.APPROVED_FOR_OTHERS, ("globex-financial", "initech-bank")),),
        "ana": (Problem(MissKind.APPROVED_NEAR_ID, ("banco_solaris",)),),
        "rui": (Problem(MissKind.LANGUAGE_NAME, ("português",)),),
        "joao": (
            Problem(MissKind.LANGUAGE_CODE, ("por",)),
            Problem(MissKind.APPROVED_BY_NAME, ("Banco Solaris",)),
        ),
    }
    assert [m.interpreter_id for m in dead_end.misses][-1] == "joao"  # two problems: the farthest miss
    assert dead_end.unrelated == 1  # diego speaks Spanish only: not a miss


def test_a_broader_tag_and_a_regional_name_are_misses_for_a_regional_request() -> None:
    roster = (
        interpreter("ines", ("pt",), ("banco-solaris",)),
        interpreter("bruno", ("Brazilian Portuguese",), ("banco-solaris",)),
        interpreter("marta", ("European Portuguese",), ("banco-solaris",)),  # pt-PT: not a miss
        interpreter("rita", ("Portuguese",), ("banco-solaris",)),  # may well interpret pt-BR: ask
    )
    case = solaris(interpreters=roster)
    case = dataclasses.replace(case, readout=dataclasses.replace(case.readout, language="pt-BR"))
    assert kinds(diagnosed(case)) == {
        "ines": (Problem(MissKind.LANGUAGE_BROADER, ("pt",)),),
        "bruno": (Problem(MissKind.LANGUAGE_NAME, ("Brazilian Portuguese",)),),
        "rita": (Problem(MissKind.LANGUAGE_NAME, ("Portuguese",)),),
    }


def test_qualifying_interpreters_who_never_can_come_say_why_each() -> None:
    roster = (
        interpreter("sat", ("pt-BR",), ("banco-solaris",), availability=weekly({"sat": "09:00-13:00"})),
        interpreter("booked", ("pt",), ("*",), has_calendar=True),
        interpreter("down", ("pt",), ("*",), has_calendar=True),
    )
    busy = Availability.known((Interval(u(2026, 11, 2, 8), u(2026, 11, 3, 20)),))
    calendars = Calendars({}, {"booked": busy, "down": Availability.unknown("timed out after 10 s")})
    dead_end = diagnosed(solaris(interpreters=roster), calendars).interpreter
    assert dead_end is not None
    assert (dead_end.qualifying, dead_end.in_hours) == (3, 13)
    assert {m.interpreter_id: m.problems for m in dead_end.misses} == {
        "sat": (Problem(MissKind.NEVER_AVAILABLE),),
        "booked": (Problem(MissKind.BUSY, count=13),),
        "down": (Problem(MissKind.CALENDAR_UNREADABLE, ("timed out after 10 s",)),),
    }


def test_no_interpreter_explanation_when_one_can_come_inside_the_hours() -> None:
    # Free only on Tue 16:00-17:00 inside coverage: the readout is possible, nothing to explain.
    busy = Availability.known((Interval(u(2026, 11, 2, 0), u(2026, 11, 3, 16)),))
    roster = (interpreter("late", ("pt",), ("banco-solaris",), has_calendar=True),)
    diagnosis = diagnosed(solaris(interpreters=roster), Calendars({}, {"late": busy}))
    assert diagnosis.interpreter is None


def test_a_role_naming_someone_not_in_people_names_them_and_the_closest_id() -> None:
    people = {"aoife": person("aoife"), "liam": person("liam"), "priya": person("priya")}
    people["liam"] = dataclasses.replace(people["liam"], name="Liam Carter")
    roles: dict[str, str | None] = {
        "escalation_manager": "aoife",
        "fix_owner": "laim",
        "customer_success_director": "Liam Carter",
        "customer_incident_manager": "marina",
    }
    case = make_case(people=people, roles=roles)
    found = {m.role: (m.person_id, m.suggestion) for m in missing_role_holders(case)}
    assert found == {
        "fix_owner": ("laim", "liam"),
        "customer_success_director": ("Liam Carter", "liam"),  # a name where the id belongs
        "customer_incident_manager": ("marina", None),  # nobody close: no guess
    }
    unassigned = make_case(people=people, roles={**roles, "fix_owner": None})
    assert missing_role_holders(unassigned)[0] == MissingRoleHolder("fix_owner", None, None)  # not assigned
    assert diagnosed(case).missing_role_holders == missing_role_holders(case)


def test_the_blackouts_in_the_way_are_named_with_the_slots_they_block() -> None:
    release = Interval(u(2026, 11, 2, 12), u(2026, 11, 2, 15))  # Mon 12-15: blocks 12:00, 13:00, 14:00
    unlabelled = Interval(u(2026, 11, 3, 9), u(2026, 11, 3, 10))  # Tue 09:00
    blackouts = Blackouts(
        absolute=(release, unlabelled),
        weekly=(weekly({"tue": "11:00-12:00"}),),  # Tue 11:00
        labels=("core banking release 26.11", ""),
    )
    read = Interval(u(2026, 11, 3, 14), u(2026, 11, 3, 15))  # Tue 14:00, from a blackout calendar
    case = make_case(blackouts=blackouts)
    calendars = Calendars({}, {}, (read,))
    help_ = diagnosed(case, calendars).blackout_help
    assert help_ is not None
    assert help_.count == 6
    assert help_.first == (slot(2026, 11, 2, 12), slot(2026, 11, 2, 13), slot(2026, 11, 2, 14))
    assert help_.blackouts == (
        BlackoutHit(3, release, "core banking release 26.11"),
        BlackoutHit(1, unlabelled, None),
        BlackoutHit(1, read, None, from_calendar=True),
        BlackoutHit(1, weekly=weekly({"tue": "11:00-12:00"})),
    )


def test_a_blackout_that_only_overlaps_otherwise_blocked_slots_is_not_offered() -> None:
    # Coverage ends at 17:00: a blackout in the evening blocks nothing that would otherwise comply.
    case = make_case(blackouts=Blackouts(absolute=(Interval(u(2026, 11, 2, 18), u(2026, 11, 2, 22)),)))
    assert diagnosed(case).blackout_help is None


def test_violations_are_also_counted_inside_customer_meeting_hours() -> None:
    # Meeting hours Mon-Fri 13:00-15:00 UTC: Mon 13:00, 14:00 and Tue 13:00, 14:00 are inside them.
    meeting = MeetingHours(weekly({"mon-fri": "13:00-15:00"}))
    fix_owner_busy = Availability.known((Interval(u(2026, 11, 3, 0), u(2026, 11, 4, 0)),))  # all Tuesday
    fix_owner = person("fix_owner", has_calendar=True)
    case = make_case(meeting_hours=meeting, people={**make_case().people, "fix_owner": fix_owner})
    diagnosis = diagnosed(case, Calendars({"fix_owner": fix_owner_busy}, {}))
    counts = diagnosis.meeting_hours
    assert counts is not None
    assert counts.starts == 4
    assert counts.violations == {"ATTENDEE:fix_owner": 2}  # nights and weekends do not count
    assert CUSTOMER_HOURS not in counts.violations
    assert diagnosed(make_case()).meeting_hours is None  # no meeting hours in the case: nothing to add


def _busy(*spans: tuple[int, int, int, int]) -> Availability:
    return Availability.known(tuple(Interval(u(2026, 11, d, a), u(2026, 11, e, b)) for d, a, e, b in spans))


def test_the_busy_block_whose_move_opens_most_slots_comes_first() -> None:
    people = {r: person(r, has_calendar=True) for r in ROLES}
    people["fix_owner"] = person("fix_owner", "Australia/Sydney", has_calendar=True)
    busy = {
        # Mon 12-15 the escalation manager alone: three slots; Mon 15-17 two people at once: none.
        "escalation_manager": _busy((2, 12, 2, 15), (3, 9, 3, 11), (3, 13, 3, 17)),
        "fix_owner": _busy((2, 15, 2, 17), (3, 11, 3, 12)),
        "customer_success_director": _busy((2, 15, 2, 17), (3, 9, 3, 11), (3, 13, 3, 17)),
        # Tue 12-13: only the customer's incident manager; never offered: not ours to ask.
        "customer_incident_manager": _busy((3, 12, 3, 13)),
    }
    case = make_case(people=people)
    diagnosis = diagnosed(case, Calendars(busy, {}))
    moves = [(m.person_id, m.block, m.opens, m.first) for m in diagnosis.moves]
    assert moves == [
        ("escalation_manager", Interval(u(2026, 11, 2, 12), u(2026, 11, 2, 15)), 3, slot(2026, 11, 2, 12)),
        ("fix_owner", Interval(u(2026, 11, 3, 11), u(2026, 11, 3, 12)), 1, slot(2026, 11, 3, 11)),
    ]
    assert all(m.person_id != "customer_incident_manager" for m in diagnosis.moves)


def test_a_slot_under_two_busy_blocks_of_one_person_is_opened_by_neither() -> None:
    # 12:00-12:30 and 12:30-13:00 touch: one busy block. 14:00-14:30 and 14:45 onwards are two blocks inside
    # the 14:00 slot: moving either alone opens nothing.
    people = {r: person(r, has_calendar=True) for r in ROLES}
    spans = (
        Interval(u(2026, 11, 2, 12), u(2026, 11, 2, 12, 30)),
        Interval(u(2026, 11, 2, 12, 30), u(2026, 11, 2, 13)),
        Interval(u(2026, 11, 2, 14), u(2026, 11, 2, 14, 30)),
        Interval(u(2026, 11, 2, 14, 45), u(2026, 11, 4, 0)),
    )
    calendars = Calendars(
        {
            "escalation_manager": Availability.known(spans),
            "fix_owner": _busy((2, 13, 2, 14)),
            "customer_success_director": _busy((2, 15, 4, 0)),  # from 15:00 on two people are busy
            "customer_incident_manager": _busy(),
        },
        {},
    )
    moves = [(m.person_id, m.block, m.opens) for m in diagnosed(make_case(people=people), calendars).moves]
    assert moves == [
        ("escalation_manager", Interval(u(2026, 11, 2, 12), u(2026, 11, 2, 13)), 1),
        ("fix_owner", Interval(u(2026, 11, 2, 13), u(2026, 11, 2, 14)), 1),
    ]


def test_moves_are_offered_only_when_nothing_complies() -> None:
    people = {r: person(r, has_calendar=True) for r in ROLES}
    calendars = Calendars({**{r: _busy() for r in ROLES}, "fix_owner": _busy((2, 12, 2, 13))}, {})
    assert diagnosed(make_case(people=people), calendars).moves == ()


def test_without_calendars_only_what_the_case_shows_is_explained() -> None:
    roster = (interpreter("beatriz", ("Portuguese",), ("banco-solaris",)),)
    case = solaris(
        interpreters=roster, blackouts=Blackouts(absolute=(Interval(u(2026, 11, 2), u(2026, 11, 4)),))
    )
    diagnosis = diagnose(case, plan(case, NOW, {}), None)
    assert diagnosis.interpreter is not None
    assert diagnosis.interpreter.misses[0].interpreter_id == "beatriz"
    assert (diagnosis.blackout_help, diagnosis.meeting_hours, diagnosis.moves) == (None, None, ())


def test_a_not_ready_plan_is_explained_without_evaluating_slots() -> None:
    assert diagnosed(make_case(approved_at=None)) == Diagnosis()
