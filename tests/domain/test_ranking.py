"""Ranking a person would agree with: comfort is graded by distance from each attendee's working hours, and a
slot in anyone's night hours ranks below every slot that keeps everyone out of theirs (docs/ranking.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from readout.domain.case import Person, Readout
from readout.domain.names import ROLES
from readout.domain.plan import Candidate, Plan
from readout.domain.planner import plan

from .builders import interpreter, make_case, person, u, weekly

NOW = u(2026, 11, 2, 12)


def _at(result: Plan, start: datetime) -> Candidate:
    return next(c for c in result.candidates if c.start == start)


def _rank(result: Plan, start: datetime) -> int:
    return [c.start for c in result.candidates].index(start)


def _people(fix_owner: Person) -> dict[str, Person]:
    """The four role holders in UTC (default hours), with this fix owner."""
    return {**{r: person(r) for r in ROLES}, "fix_owner": fix_owner}


def _named(name: str, zone: str, **kw: Any) -> Person:
    return dataclasses.replace(person("fix_owner", zone=zone, **kw), name=name)


def test_an_evening_slot_beats_an_earlier_slot_at_two_in_the_morning() -> None:
    # Liam is in Sydney (UTC+11): Mon 15:00Z is Tue 02:00 for him, Tue 09:00Z is Tue 20:00. Everyone else is
    # comfortable at both. Earliness favours the 02:00 slot; a person would pick 20:00.
    result = plan(make_case(people=_people(_named("Liam Carter", "Australia/Sydney"))), NOW, {})
    night, evening = _at(result, u(2026, 11, 2, 15)), _at(result, u(2026, 11, 3, 9))
    assert result.candidates[0].start == u(2026, 11, 3, 9)
    assert _rank(result, u(2026, 11, 3, 9)) < _rank(result, u(2026, 11, 2, 15))
    assert "outside working hours: Tue 02:00 for Liam Carter (night)" in night.why
    assert "outside working hours: Tue 20:00 for Liam Carter (late)" in evening.why
    assert 0.5 <= evening.score <= 1.0
    assert 0.0 <= night.score < 0.5


def test_every_night_free_slot_ranks_above_every_night_slot() -> None:
    result = plan(make_case(people=_people(_named("Liam Carter", "Australia/Sydney"))), NOW, {})
    # Night-free for Sydney: Tue 09:00Z and 10:00Z (20:00-21:00 and 21:00-22:00 local); the rest touch night.
    assert [c.start for c in result.candidates[:2]] == [u(2026, 11, 3, 9), u(2026, 11, 3, 10)]
    assert all("(night)" in c.why[1] for c in result.candidates[2:])
    assert min(c.score for c in result.candidates[:2]) >= 0.5 > max(c.score for c in result.candidates[2:])


def test_comfort_is_graded_six_in_the_morning_beats_two() -> None:
    # Honolulu (UTC-10): every candidate touches Kai's night (22:00-07:00), so the grade decides: Mon 16:00Z
    # is 06:00 for him, Mon 12:00Z is 02:00 and earlier.
    result = plan(make_case(people=_people(_named("Kai", "Pacific/Honolulu"))), NOW, {})
    assert _rank(result, u(2026, 11, 2, 16)) < _rank(result, u(2026, 11, 2, 12))
    assert "outside working hours: Mon 02:00 for Kai (night)" in _at(result, u(2026, 11, 2, 12)).why
    assert _at(result, u(2026, 11, 2, 16)).score > _at(result, u(2026, 11, 2, 12)).score


def test_working_hours_grade_by_distance_and_say_which_side() -> None:
    # Coverage around the clock: 08:00 is one hour early, 18:00 one hour late, 20:00 three hours late.
    result = plan(make_case(coverage=None), NOW, {})
    assert (
        _at(result, u(2026, 11, 3, 8))
        .why[1]
        .startswith("outside working hours: Tue 08:00 for Escalation_Manager (early), ")
    )
    late = _at(result, u(2026, 11, 2, 18))
    assert late.why[1].startswith("outside working hours: Mon 18:00 for Escalation_Manager (late)")
    later = _at(result, u(2026, 11, 2, 20))
    assert late.score > later.score > _at(result, u(2026, 11, 3, 2)).score
    assert _at(result, u(2026, 11, 2, 14)).why[1] == "inside everyone's working hours"


def test_stated_working_hours_move_the_best_slot_and_are_not_night() -> None:
    # Everyone works nights (20:00-04:00 UTC): those hours are their working day, not their night.
    shift = weekly({"daily": "20:00-04:00"})
    people = {r: person(r, working_hours=shift) for r in ROLES}
    result = plan(make_case(coverage=None, people=people), NOW, {})
    best = result.candidates[0]
    assert best.start.hour in (20, 21, 22, 23, 0, 1, 2, 3)
    assert best.why[1] == "inside everyone's working hours"
    assert best.score >= 0.5
    noon = _at(result, u(2026, 11, 3, 12))
    assert "(late)" in noon.why[1] or "(early)" in noon.why[1]


def test_stated_night_hours_push_a_slot_down_without_removing_it() -> None:
    people = {r: person(r) for r in ROLES}
    people["fix_owner"] = person("fix_owner", night_hours=weekly({"mon-fri": "12:00-14:00"}))
    case = make_case(people=people)
    result = plan(case, NOW, {})
    plain = plan(make_case(), NOW, {})
    assert {c.start for c in result.candidates} == {c.start for c in plain.candidates}  # ranking only
    assert _at(plain, u(2026, 11, 2, 12)) == plain.candidates[0]
    assert _rank(result, u(2026, 11, 2, 12)) > _rank(result, u(2026, 11, 3, 16))
    assert "outside working hours: Mon 12:00 for Fix_Owner (night)" in _at(result, u(2026, 11, 2, 12)).why


def test_a_weekend_slot_is_a_day_off() -> None:
    people = {r: person(r) for r in ROLES}
    people["fix_owner"] = person("fix_owner", zone="Asia/Tokyo")  # Mon 12:00Z is Mon 21:00; Sat is off
    case = make_case(coverage=None, people=people, approved_at=u(2026, 11, 6, 12))
    result = plan(case, u(2026, 11, 6, 12), {})
    saturday = _at(result, u(2026, 11, 7, 3))  # Sat 12:00 in Tokyo, Sat 03:00 UTC (night for the others)
    assert "Sat 12:00 for Fix_Owner (day off)" in saturday.why[1]


def test_the_interpreter_hours_count() -> None:
    readout = Readout(1, timedelta(hours=1), timedelta(0), language="es")
    night_owl = interpreter("ana", night_hours=weekly({"mon-fri": "09:00-17:00"}))
    result = plan(make_case(readout=readout, interpreters=(night_owl,), coverage=None), NOW, {})
    slot = _at(result, u(2026, 11, 2, 13))
    assert "outside working hours: Mon 13:00 for Ana (night)" in slot.why
    assert slot.score < 0.5
