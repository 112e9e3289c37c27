"""The planner on small hand-made cases: compliant slots, violations, near misses, causes, status."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from readout.domain.case import Availability, Blackouts, MeetingHours, Readout
from readout.domain.intervals import Interval
from readout.domain.plan import PlanStatus
from readout.domain.planner import plan
from tests.domain.builders import interpreter, make_case, person, u, weekly

NOW = u(2026, 11, 2, 12)


def starts(p: object) -> list[int]:
    return sorted(c.start.hour for c in p.candidates)  # type: ignore[attr-defined]


def test_ready_case_lists_every_slot_inside_coverage_before_deadline() -> None:
    result = plan(make_case(), NOW, {})
    assert result.status is PlanStatus.READY
    assert result.deadline == u(2026, 11, 4, 0)
    assert result.earliest_start == NOW
    # Mon 12..16 and Tue 09..16 starts inside 09:00-17:00
    assert len(result.candidates) == 5 + 8
    assert result.slots_considered == 12 + 24  # Mon 12:00 .. Tue 23:00 (ends at the deadline)
    assert result.violations == {"COVERAGE": result.slots_considered - 13}
    assert result.causes == ()


def test_busy_block_is_half_open() -> None:
    busy = {"fix_owner": Availability.known((Interval(u(2026, 11, 3, 10), u(2026, 11, 3, 16)),))}
    result = plan(make_case(), NOW, busy)
    tuesday = sorted(c.start.hour for c in result.candidates if c.start.day == 3)
    assert tuesday == [9, 16]  # 09:00-10:00 ends as the block starts; 16:00 starts as it ends
    assert result.violations["ATTENDEE:fix_owner"] == 6


def test_unknown_calendar_blocks_every_slot_and_is_reported() -> None:
    busy = {"fix_owner": Availability.unknown("timed out after 10s")}
    case = make_case(people={**make_case().people, "fix_owner": person("fix_owner", has_calendar=True)})
    result = plan(case, NOW, busy)
    assert result.status is PlanStatus.NEEDS_EXCEPTION
    assert result.candidates == ()
    assert result.violations["ATTENDEE:fix_owner"] == result.slots_considered
    assert [(x.id, x.role, x.error) for x in result.unknown] == [
        ("fix_owner", "fix_owner", "timed out after 10s")
    ]
    assert result.causes == ("ATTENDEE:fix_owner",)


def test_configured_calendar_that_was_not_read_fails_closed() -> None:
    case = make_case(people={**make_case().people, "fix_owner": person("fix_owner", has_calendar=True)})
    result = plan(case, NOW, {})
    assert result.candidates == ()
    assert result.unknown[0].id == "fix_owner"


def test_no_calendar_means_free_but_unverified() -> None:
    result = plan(make_case(), NOW, {})
    assert {x.id for x in result.unverified} == {
        "escalation_manager",
        "fix_owner",
        "customer_success_director",
        "customer_incident_manager",
    }


def test_near_misses_and_causes_when_only_a_waiver_helps() -> None:
    # Everyone is busy inside coverage; outside coverage someone's handoff window also bites at 18:00.
    busy = {
        "escalation_manager": Availability.known(
            (Interval(u(2026, 11, 2, 9), u(2026, 11, 2, 17)), Interval(u(2026, 11, 3, 9), u(2026, 11, 3, 17)))
        )
    }
    people = {
        **make_case().people,
        "fix_owner": person("fix_owner", protected=(weekly({"daily": "18:00-19:00"}),)),
    }
    result = plan(make_case(people=people), NOW, busy)
    assert result.status is PlanStatus.NEEDS_EXCEPTION
    assert result.causes == ("COVERAGE", "ATTENDEE:escalation_manager")  # either relaxation alone helps
    by_start = {(n.start.day, n.start.hour): n.waivers for n in result.near_misses}
    assert by_start[(2, 17)] == ("COVERAGE",)  # ends as the handoff window starts
    assert by_start[(2, 18)] == ("COVERAGE", "HANDOFF_WINDOW")
    assert by_start[(2, 19)] == ("COVERAGE",)
    assert (2, 12) not in by_start  # inside coverage but the escalation manager is busy: not waivable
    assert [n.start for n in result.near_misses] == sorted(n.start for n in result.near_misses)


def test_handoff_window_alone_is_a_cause() -> None:
    people = {
        **make_case().people,
        "fix_owner": person("fix_owner", protected=(weekly({"daily": "00:00-24:00"}),)),
    }
    result = plan(make_case(people=people), NOW, {})
    assert result.causes == ("HANDOFF_WINDOW",)
    assert all(n.waivers == ("HANDOFF_WINDOW",) for n in result.near_misses if 9 <= n.start.hour < 17)


def test_empty_causes_when_no_single_relaxation_helps() -> None:
    blackouts = Blackouts(absolute=(Interval(u(2026, 11, 2, 0), u(2026, 11, 4, 0)),))
    busy = {"fix_owner": Availability.known((Interval(u(2026, 11, 2, 0), u(2026, 11, 4, 0)),))}
    result = plan(make_case(blackouts=blackouts), NOW, busy)
    assert result.status is PlanStatus.NEEDS_EXCEPTION
    assert result.causes == ()
    assert result.violations["CAB_BLACKOUT"] == result.slots_considered


def test_customer_hours_removed_on_customer_holidays() -> None:
    from readout.domain.case import HolidaySet

    hours = MeetingHours(
        weekly({"mon-fri": "08:00-18:00"}), HolidaySet(frozenset({u(2026, 11, 3, 0).date()}))
    )
    result = plan(make_case(meeting_hours=hours), NOW, {})
    assert {c.start.day for c in result.candidates} == {2}


def test_interpreter_required_only_with_language_and_must_be_approved() -> None:
    readout = Readout(1, timedelta(hours=1), timedelta(0), language="es")
    roster = (
        interpreter("pablo", approved=("other-customer",)),
        interpreter("ana", availability=weekly({"mon-fri": "13:00-15:00"})),
    )
    result = plan(make_case(readout=readout, interpreters=roster), NOW, {})
    assert {(c.start.day, c.start.hour) for c in result.candidates} == {(2, 13), (2, 14), (3, 13), (3, 14)}
    assert {c.interpreter for c in result.candidates} == {"ana"}
    no_language = plan(make_case(interpreters=roster), NOW, {})
    assert {c.interpreter for c in no_language.candidates} == {None}
    assert "INTERPRETER" not in no_language.violations


def test_not_ready_without_approval_or_with_unassigned_roles() -> None:
    unapproved = plan(make_case(approved_at=None), NOW, {})
    assert unapproved.status is PlanStatus.NOT_READY
    assert unapproved.not_ready == ("RCA_NOT_APPROVED",)
    assert unapproved.deadline is None
    roles = {**make_case().roles, "fix_owner": None, "customer_success_director": "nobody"}
    unassigned = plan(make_case(roles=roles), NOW, {})
    assert unassigned.not_ready == ("ROLE_UNASSIGNED:fix_owner", "ROLE_UNASSIGNED:customer_success_director")
    assert unassigned.candidates == ()
    assert unassigned.deadline == u(2026, 11, 4, 0)


def test_ranking_prefers_earlier_slots_and_explains() -> None:
    result = plan(make_case(), NOW, {})
    best = result.candidates[0]
    assert best.start == u(2026, 11, 2, 12)
    assert any("before the deadline" in why for why in best.why)
    assert [c.score for c in result.candidates] == sorted((c.score for c in result.candidates), reverse=True)


def test_ranking_penalises_slots_at_night_for_someone() -> None:
    people = {**make_case().people, "fix_owner": person("fix_owner", zone="Asia/Kolkata")}
    result = plan(make_case(people=people), NOW, {})
    # 09:00Z is 14:30 in Kolkata, 15:00Z is 20:30: the late one must rank below an equally early one.
    ranks = {c.start: i for i, c in enumerate(result.candidates)}
    assert ranks[u(2026, 11, 3, 9)] < ranks[u(2026, 11, 3, 15)]
    late = next(c for c in result.candidates if c.start == u(2026, 11, 3, 15))
    assert "outside working hours: Tue 20:30 for Fix_Owner (late)" in late.why


def test_plan_does_not_mutate_or_depend_on_dict_order() -> None:
    case = make_case()
    a = plan(case, NOW, {})
    b = plan(dataclasses.replace(case, roles=dict(reversed(list(case.roles.items())))), NOW, {})
    assert a.candidates == b.candidates


def test_optional_attendee_not_in_people_is_reported_not_a_crash() -> None:
    result = plan(make_case(optional_attendees=("sam",)), NOW, {})
    assert result.status is PlanStatus.READY
    assert [(x.id, x.role, x.error) for x in result.unknown] == [("sam", "optional", "not listed in people")]


def test_optional_attendee_busy_lowers_rank_but_never_blocks() -> None:
    people = {**make_case().people, "sam": person("sam", has_calendar=True)}
    busy = {"sam": Availability.known((Interval(u(2026, 11, 2, 12), u(2026, 11, 2, 13)),))}
    result = plan(make_case(people=people, optional_attendees=("sam",)), NOW, busy)
    first = next(c for c in result.candidates if c.start == u(2026, 11, 2, 12))
    second = next(c for c in result.candidates if c.start == u(2026, 11, 2, 13))
    assert first.score < second.score
    assert any("not free: Sam" in why for why in first.why)


def test_interpreter_language_tags_compare_case_insensitively() -> None:
    readout = Readout(1, timedelta(hours=1), timedelta(0), language="ES")
    result = plan(make_case(readout=readout, interpreters=(interpreter("ana", langs=("es",)),)), NOW, {})
    assert result.candidates
    assert {c.interpreter for c in result.candidates} == {"ana"}
